// A small event recorder (upstream record.EventRecorder): writes v1 Events about an object so
// `kubectl describe` shows what controllers and the scheduler did. Repeats of the same event
// bump count/lastTimestamp instead of creating a new object. Never throws: events are best effort,
// written at most MAX_IN_FLIGHT at a time and dropped (counted) when the backlog passes MAX_QUEUED,
// as upstream's broadcaster drops them, so they never crowd out a component's real writes.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { ApiClient, type KubeObject } from '../client/api-client.js';
import { R } from '../client/resources.js';
import { logger } from '../client/log.js';

export type EventType = 'Normal' | 'Warning';

interface Seen { name: string; namespace: string; count: number; at: number }

const MAX_SEEN = 4096;
const MAX_IN_FLIGHT = 8;
const MAX_QUEUED = 1000;
const DEDUP_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  private seen = new Map<string, Seen>();
  private seq = 0n;
  private readonly log;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  dropped = 0;

  constructor(private readonly client: ApiClient, readonly component: string, private readonly host?: string) {
    this.log = logger(component);
  }

  /** Records an event; returns a promise that never rejects (callers need not await it). */
  async event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      if (this.waiting.length >= MAX_QUEUED) { this.dropped++; return; }
      await new Promise<void>((r) => this.waiting.push(r));
    }
    this.inFlight++;
    try {
      await this.write(obj, type, reason, message);
    } catch (err) {
      this.log.debug({ reason, err: (err as Error).message }, 'event not recorded');
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const ref = objectReference(obj);
    const namespace = ref.namespace ?? 'default'; // events about cluster-scoped objects go to default
    const now = new Date().toISOString();
    const dedupKey = [ref.kind, namespace, ref.name, ref.uid, type, reason, message].join('\x00');
    const prev = this.seen.get(dedupKey);
    if (prev && Date.now() - prev.at < DEDUP_WINDOW_MS) {
      prev.count++;
      prev.at = Date.now();
      try {
        await this.client.patch(R.events, prev.name, prev.namespace, { count: prev.count, lastTimestamp: now });
        return;
      } catch { /* fall through: the event may have been garbage-collected; create a new one */ }
    }
    const name = `${ref.name}.${(BigInt(Date.now()) * 1_000_000n + (this.seq++ % 1_000_000n)).toString(16)}`;
    const ev: Event & KubeObject = {
      metadata: { name, namespace },
      involvedObject: ref,
      reason, message, type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: now, lastTimestamp: now, count: 1,
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
    };
    await this.client.create(R.events, ev, namespace);
    if (this.seen.size >= MAX_SEEN) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(dedupKey, { name, namespace, count: 1, at: Date.now() });
  }
}

export function objectReference(obj: KubeObject): ObjectReference {
  const m = obj.metadata ?? {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: m.name,
    namespace: m.namespace,
    uid: m.uid as string | undefined,
    resourceVersion: m.resourceVersion,
  };
}
