// Emits core/v1 Events about pods (Pulling, Pulled, Created, Started, Killing, Failed, BackOff)
// with source.component "kubelet", as `kubectl describe pod` shows them. Fire and forget:
// a failed event write is logged, never fails the pod's sync. Repeats within a pod and reason
// are folded into one Event with a growing count, as upstream's event correlator does.
import { randomBytes } from 'node:crypto';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../../control/client/api-client.js';
import { R } from '../../../control/client/resources.js';
import type { Logger } from '../../../control/client/log.js';
import { rfc3339 } from '../util/time.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private seen = new Map<string, { name: string; count: number; first: string }>();

  constructor(private readonly client: ApiClient, private readonly nodeName: string, private readonly log: Logger) {}

  /** fieldPath: e.g. `spec.containers{nginx}` to point at one container. */
  event(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const m = pod.metadata ?? {};
    const key = `${m.uid}/${fieldPath ?? ''}/${reason}/${message}`;
    const now = rfc3339();
    const prev = this.seen.get(key);
    const count = (prev?.count ?? 0) + 1;
    const name = prev?.name ?? `${m.name}.${randomBytes(8).toString('hex')}`;
    this.seen.set(key, { name, count, first: prev?.first ?? now });
    if (this.seen.size > 5000) this.seen.delete(this.seen.keys().next().value!);
    const ev: Event = {
      metadata: { name, namespace: m.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason, message, type,
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: prev?.first ?? now, lastTimestamp: now, count,
      reportingComponent: 'kubelet', reportingInstance: this.nodeName,
    };
    const write = prev
      ? this.client.patch(R.events, name, m.namespace, { count, lastTimestamp: now, message }, 'merge')
      : this.client.create(R.events, ev, m.namespace);
    write.catch((err: Error) => this.log.debug({ err: err.message, reason }, 'event write failed'));
  }

  forgetPod(uid: string): void {
    for (const k of this.seen.keys()) if (k.startsWith(`${uid}/`)) this.seen.delete(k);
  }
}
