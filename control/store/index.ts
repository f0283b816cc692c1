// Opens a storage backend from a URL, kine-style: sqlite:///path/state.db (the embedded
// default) or etcd://host:2379[,host2:2379…][/prefix]. Query options: sync=full (sqlite:
// fsync every commit), watchcache=false, compact=5m (compaction interval, 0 disables).
import { SqliteBackend } from './sqlite.js';
import { EtcdBackend, type EtcdTls } from './etcd.js';
import { WatchCache } from './watch-cache.js';
import { startCompactor, parseDuration } from './compactor.js';
import type { Backend } from './backend.js';

export * from './backend.js';

export interface StoreOptions {
  /** Serve watches through one cached upstream watch per resource (default true). */
  watchCache?: boolean;
  /** Compaction interval in ms; 0 disables (default 5 minutes, as kube-apiserver). */
  compactIntervalMs?: number;
  /** TLS (CA, client certificate and key) for etcd:// URLs. */
  etcdTls?: EtcdTls;
}

const backends: Record<string, (rest: string, q: URLSearchParams, opts: StoreOptions) => Backend> = {
  'sqlite:': (rest, q) => {
    const sync = q.get('sync') ?? 'normal';
    if (sync !== 'normal' && sync !== 'full') throw new Error(`sqlite sync=${sync}: use normal or full`);
    return new SqliteBackend(rest, { sync });
  },
  'etcd:': (rest, _q, opts) => new EtcdBackend(rest, opts.etcdTls),
};

/** An eventually consistent list (the watch cache's mirror) when the store has one; else a store list. */
export function cachedList(backend: Backend, prefix: string): Promise<import('./backend.js').ListResult> {
  return backend instanceof WatchCache ? backend.cachedList(prefix) : backend.list(prefix);
}

/** One key from the watch cache's mirror of its resource (eventually consistent); else a store get. */
export function cachedGet(backend: Backend, key: string): Promise<import('./backend.js').KeyValue | undefined> {
  return backend instanceof WatchCache ? backend.cachedGet(key) : backend.get(key);
}

export function openStore(url: string, opts: StoreOptions = {}): Backend {
  const m = /^([a-z0-9]+:)\/\/([^?]*)(?:\?(.*))?$/.exec(url);
  const open = m && backends[m[1]];
  if (!m || !open) throw new Error(`unsupported storage URL ${url}: use sqlite:///path/to/state.db or etcd://host:2379[,host:port…][/prefix]`);
  const q = new URLSearchParams(m[3] ?? '');
  const watchCache = q.has('watchcache') ? q.get('watchcache') !== 'false' : opts.watchCache ?? true;
  const interval = q.has('compact') ? parseDuration(q.get('compact')!) : opts.compactIntervalMs ?? 5 * 60_000;
  const raw = open(m[2], q, opts);
  const backend = watchCache ? new WatchCache(raw) : raw;
  const stop = startCompactor(backend, interval);
  const close = backend.close.bind(backend);
  backend.close = async () => { stop(); await close(); };
  return backend;
}
