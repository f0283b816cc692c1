// An informer: list + watch one resource into a local cache and tell handlers what changed.
// Re-lists when the watch ends or expires (410), and replays the cache every resync period
// so level-triggered loops repair drift. Handlers should only enqueue keys.
import { ApiClient, ApiError, type KubeObject, type ListOptions, type WatchEventType } from './api-client.js';
import type { ResourceRef } from './resources.js';
import { logger } from './log.js';

export interface InformerOptions<T = KubeObject> extends ListOptions {
  resyncSeconds?: number;
  /** Applied (idempotently) to every object before it is cached and handed to handlers (client-go's SetTransform). */
  transform?: (obj: T) => T;
}

/** The usual transform: managedFields are the largest part of most objects and no client reads them. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

export function keyOf(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class Informer<T extends KubeObject> {
  private cache = new Map<string, T>();
  private addFns: Array<(o: T) => void> = [];
  private updateFns: Array<(old: T, cur: T) => void> = [];
  private deleteFns: Array<(o: T) => void> = [];
  private stopped = false;
  private currentWatch?: { stop(): void };
  private resyncTimer?: NodeJS.Timeout;
  private synced = false;
  private readonly log;

  constructor(private readonly client: ApiClient, private readonly r: ResourceRef, private readonly opts: InformerOptions<T> = {}) {
    this.log = logger('informer', { resource: r.resource });
  }

  onAdd(fn: (o: T) => void): this { this.addFns.push(fn); return this; }
  onUpdate(fn: (old: T, cur: T) => void): this { this.updateFns.push(fn); return this; }
  onDelete(fn: (o: T) => void): this { this.deleteFns.push(fn); return this; }
  /** Calls fn for add, update and delete: the usual "enqueue the key" handler. */
  onChange(fn: (o: T) => void): this { return this.onAdd(fn).onUpdate((_, c) => fn(c)).onDelete(fn); }

  get(key: string): T | undefined { return this.cache.get(key); }
  list(): T[] { return [...this.cache.values()]; }
  hasSynced(): boolean { return this.synced; }

  /** Resolves once the first list is in the cache; keeps watching in the background. */
  async start(): Promise<void> {
    const rv = await this.relistUntilOk();
    this.synced = true;
    void this.loop(rv);
    const resync = this.opts.resyncSeconds ?? 0;
    if (resync > 0) {
      this.resyncTimer = setInterval(() => { for (const o of this.cache.values()) this.updateFns.forEach((f) => f(o, o)); }, resync * 1000);
      this.resyncTimer.unref?.();
    }
  }

  stop(): void {
    this.stopped = true;
    this.currentWatch?.stop();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
  }

  private async loop(rv: string): Promise<void> {
    while (!this.stopped) {
      let expired = false;
      try {
        const w = this.client.watch<T>(this.r, { ...this.listOpts(), resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 60) },
          (type, obj) => {
            if (type === 'ERROR') { expired = (obj as { code?: number }).code === 410; return; }
            if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
            if (type !== 'BOOKMARK') this.apply(type, obj);
          });
        this.currentWatch = w;
        await w.done;
      } catch (err) {
        if (this.stopped) return;
        expired = err instanceof ApiError && err.code === 410;
        this.log.debug({ err: (err as Error).message }, 'watch ended');
        await sleep(1000);
      }
      if (this.stopped) return;
      if (expired) rv = await this.relistUntilOk();
    }
  }

  private apply(type: WatchEventType, obj: T): void {
    if (this.opts.transform) obj = this.opts.transform(obj);
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      this.cache.delete(key);
      this.deleteFns.forEach((f) => f(old ?? obj));
    } else {
      this.cache.set(key, obj);
      if (old) this.updateFns.forEach((f) => f(old, obj));
      else this.addFns.forEach((f) => f(obj));
    }
  }

  private listOpts(): ListOptions {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    return { namespace, labelSelector, fieldSelector };
  }

  /** Lists until it works, replacing the cache and emitting the differences. */
  private async relistUntilOk(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const list = await this.client.list<T>(this.r, this.listOpts());
        const seen = new Set<string>();
        for (const o of list.items) {
          seen.add(keyOf(o));
          this.apply('MODIFIED', o);
        }
        for (const [k, o] of [...this.cache]) if (!seen.has(k)) this.apply('DELETED', o);
        return list.metadata.resourceVersion ?? '0';
      } catch (err) {
        if (this.stopped) return '0';
        if (attempt % 10 === 0) this.log.warn({ err: (err as Error).message }, 'list failed; retrying');
        await sleep(Math.min(200 * 2 ** attempt, 2000));
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
