// The watch cache, a Backend decorator as in kube-apiserver's cacher: one upstream store watch
// per resource (/registry/<resource>/) fans out to every watcher of that resource or of one of
// its namespaces, and keeps the recent events in memory so watchers resume without store reads.
// Revisions older than the cache's window go to the store (410/Compacted if compacted away).
import { Counter, Gauge, register, type Metric } from '../metrics/prom.js';
import { Backend, failure, KeyValue, ListResult, StoreError, StoreEvent, Watcher, prefixEnd } from './backend.js';
import { logger } from '../client/log.js';

const log = logger('watch-cache');

function once<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}
const registeredWatchers = once('apiserver_registered_watchers', () => new Gauge({
  name: 'apiserver_registered_watchers', help: 'Watchers served by the watch cache, per resource', labelNames: ['resource'] }));
const eventsReceived = once('apiserver_watch_cache_events_received_total', () => new Counter({
  name: 'apiserver_watch_cache_events_received_total', help: 'Events the watch cache received from the store', labelNames: ['resource'] }));
const initializations = once('apiserver_watch_cache_initializations_total', () => new Counter({
  name: 'apiserver_watch_cache_initializations_total', help: 'Upstream store watches the watch cache opened', labelNames: ['resource'] }));

/** A resource's current state, kept by list + watch (what upstream's informer listers hold). */
interface Mirror { kvs: Map<string, KeyValue>; revision: number; ready: Promise<void>; watcher?: Watcher }

interface Sub { prefix: string; end: string; last: number; onEvent(ev: StoreEvent): void; fail(err: Error): void }

interface Entry {
  resource: string;
  /** The history is complete for every revision > start. */
  start: number;
  history: StoreEvent[];
  subs: Set<Sub>;
  upstream?: Watcher;
  received: { inc(): void };
}

/** /registry/pods/default/ → /registry/pods/; other prefixes are their own resource. */
export function resourcePrefix(prefix: string): string {
  if (!prefix.startsWith('/registry/')) return prefix;
  const end = prefix.indexOf('/', 10);
  return end > 10 ? prefix.slice(0, end + 1) : prefix;
}

export class WatchCache implements Backend {
  private entries = new Map<string, Entry>();
  private mirrors = new Map<string, Mirror>();

  constructor(readonly inner: Backend, private readonly capacity = 10_000) {}

  get(key: string): Promise<KeyValue | undefined> { return this.inner.get(key); }
  create(key: string, value: string): Promise<KeyValue> { return this.inner.create(key, value); }
  update(key: string, value: string, expected: number): Promise<KeyValue> { return this.inner.update(key, value, expected); }
  delete(key: string, expected?: number): Promise<KeyValue> { return this.inner.delete(key, expected); }
  list(prefix: string): Promise<ListResult> { return this.inner.list(prefix); }
  count(prefix: string): Promise<number> { return this.inner.count(prefix); }
  currentRevision(): Promise<number> { return this.inner.currentRevision(); }
  compactedRevision(): number { return this.inner.compactedRevision(); }
  compact(revision: number): Promise<void> { return this.inner.compact(revision); }

  /**
   * The keys under prefix from an in-memory mirror of their resource, kept current by the
   * shared upstream watch: no store read after the first. Eventually consistent, like an
   * informer's lister — for admission-style lookups, not for answering clients' GETs.
   */
  async cachedList(prefix: string): Promise<ListResult> {
    const m = await this.mirror(prefix);
    const end = prefixEnd(prefix);
    const kvs: KeyValue[] = [];
    for (const kv of m.kvs.values()) if (kv.key >= prefix && kv.key < end) kvs.push(kv);
    return { kvs: kvs.sort((a, b) => (a.key < b.key ? -1 : 1)), revision: m.revision };
  }

  /** One key from the same mirror: a map lookup, not a scan of the resource. */
  async cachedGet(key: string): Promise<KeyValue | undefined> {
    return (await this.mirror(key)).kvs.get(key);
  }

  private async mirror(prefix: string): Promise<Mirror> {
    const resource = resourcePrefix(prefix);
    let m = this.mirrors.get(resource);
    if (!m) {
      const mirror: Mirror = { kvs: new Map(), revision: 0, ready: Promise.resolve() };
      mirror.ready = (async () => {
        const l = await this.inner.list(resource);
        for (const kv of l.kvs) mirror.kvs.set(kv.key, kv);
        mirror.revision = l.revision;
        mirror.watcher = this.watch(resource, l.revision, (ev) => {
          if (ev.type === 'DELETE') mirror.kvs.delete(ev.kv.key); else mirror.kvs.set(ev.kv.key, ev.kv);
          mirror.revision = ev.kv.modRevision;
        });
        mirror.watcher.failed.catch(() => { if (this.mirrors.get(resource) === mirror) this.mirrors.delete(resource); });
      })();
      mirror.ready.catch(() => { if (this.mirrors.get(resource) === mirror) this.mirrors.delete(resource); });
      this.mirrors.set(resource, mirror);
      m = mirror;
    }
    await m.ready;
    return m;
  }

  async close(): Promise<void> {
    for (const m of this.mirrors.values()) m.watcher?.cancel();
    this.mirrors.clear();
    for (const e of this.entries.values()) e.upstream?.cancel();
    this.entries.clear();
    await this.inner.close();
  }

  /** How many upstream store watches are open (one per watched resource). */
  upstreamWatches(): number { return this.entries.size; }

  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void): Watcher {
    if (fromRevision < this.inner.compactedRevision()) throw new StoreError('Compacted', prefix);
    const resource = resourcePrefix(prefix);
    let entry = this.entries.get(resource);
    if (entry && fromRevision < entry.start) return this.inner.watch(prefix, fromRevision, onEvent);
    if (!entry) entry = this.open(resource, fromRevision);

    const { failed, fail } = failure();
    const sub: Sub = { prefix, end: prefixEnd(prefix), last: fromRevision, onEvent, fail };
    // Replay what the cache holds after fromRevision, then follow live events: both happen on
    // this tick, so nothing falls between them.
    for (const ev of entry.history) if (ev.kv.modRevision > fromRevision) deliver(sub, ev);
    entry.subs.add(sub);
    registeredWatchers.inc({ resource });
    const e = entry;
    return {
      failed,
      cancel: () => {
        if (e.subs.delete(sub)) registeredWatchers.dec({ resource });
      },
    };
  }

  private open(resource: string, fromRevision: number): Entry {
    const entry: Entry = { resource, start: fromRevision, history: [], subs: new Set(), received: eventsReceived.labels({ resource }) };
    this.entries.set(resource, entry);
    initializations.inc({ resource });
    try {
      // A store may replay history synchronously inside watch(): the entry records it.
      entry.upstream = this.inner.watch(resource, fromRevision, (ev) => this.receive(entry, ev));
    } catch (err) {
      this.entries.delete(resource);
      throw err;
    }
    entry.upstream.failed.catch((err: Error) => {
      log.warn({ resource, err: err.message }, 'upstream watch ended; its watchers are told to restart');
      if (this.entries.get(resource) === entry) this.entries.delete(resource);
      for (const sub of entry.subs) sub.fail(err);
      registeredWatchers.dec({ resource }, entry.subs.size);
      entry.subs.clear();
    });
    return entry;
  }

  private receive(entry: Entry, ev: StoreEvent): void {
    entry.received.inc();
    entry.history.push(ev);
    if (entry.history.length > this.capacity) {
      const drop = Math.ceil(this.capacity / 4);
      entry.start = entry.history[drop - 1].kv.modRevision;
      entry.history.splice(0, drop);
    }
    for (const sub of entry.subs) deliver(sub, ev);
  }
}

function deliver(sub: Sub, ev: StoreEvent): void {
  const rev = ev.kv.modRevision;
  if (rev <= sub.last || ev.kv.key < sub.prefix || ev.kv.key >= sub.end) return;
  sub.last = rev;
  try {
    sub.onEvent(ev);
  } catch (err) {
    log.error({ err: (err as Error).message, key: ev.kv.key }, 'watcher callback threw');
  }
}
