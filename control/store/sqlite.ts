// Embedded storage on SQLite (better-sqlite3, WAL), the way k3s' kine keeps etcd's model in
// a SQL table: one append-only row per write (revision = row id), the newest row per key is
// the current value, a deleted flag marks tombstones, and compaction drops old rows.
// Writes in one event-loop turn are group-committed; sync=full (sqlite:///path?sync=full)
// makes every acknowledged write durable (an fsync per commit), committed on a writer thread.
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Backend, failure, KeyValue, ListResult, StoreError, StoreEvent, Watcher, prefixEnd } from './backend.js';
import { applyBatch, compactRows, openDb, prepare, settleBatch, toKv, type Row, type Statements, type WriteOp, type WriteResult } from './sqlite-batch.js';

interface Pending { op: WriteOp; resolve(kv: KeyValue): void; reject(err: unknown): void }
type Reply = { results: WriteResult[] } | { error: string } | Record<string, never>;

export class SqliteBackend implements Backend {
  private db: Database.Database;
  private events = new EventEmitter();
  private queue: Pending[] = [];
  private compacted = 0;
  private stmts: Statements;
  /** sync=full: the thread that commits (and fsyncs) batches and compactions. It answers in
   *  order, so replies are matched by position; one batch is in flight at a time. */
  private writer?: { worker: Worker; waiting: Array<{ done(msg: Reply): void; fail(err: Error): void }>; batch?: Promise<void>; broken?: Error };

  constructor(path: string, opts: { sync?: 'normal' | 'full' } = {}) {
    this.db = new Database(path);
    openDb(this.db, opts.sync ?? 'normal');
    this.events.setMaxListeners(0);
    this.stmts = prepare(this.db);
    this.compacted = this.stmts.getMeta.get('compacted')?.value ?? 0;
    if (opts.sync === 'full') this.startWriter(path);
  }

  private startWriter(path: string): void {
    const worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: { path } });
    const w: NonNullable<SqliteBackend['writer']> = { worker, waiting: [] };
    this.writer = w;
    worker.on('message', (msg: Reply) => {
      w.waiting.shift()?.done(msg);
      if (!w.waiting.length) worker.unref();
    });
    worker.on('error', (err) => {
      w.broken = err;
      for (const x of w.waiting.splice(0)) x.fail(err);
      for (const o of this.queue.splice(0)) o.reject(err);
    });
    worker.unref();
  }

  private post(msg: { ops: WriteOp[] } | { compact: number } | { close: true }): Promise<Reply> {
    const w = this.writer!;
    if (w.broken) return Promise.reject(w.broken);
    return new Promise((done, fail) => {
      w.waiting.push({ done, fail });
      w.worker.ref(); // work in flight keeps the process alive, as a pending fsync would
      w.worker.postMessage(msg);
    });
  }

  private current(key: string): Row | undefined {
    const r = this.stmts.latest.get(key);
    return r && !r.deleted ? r : undefined;
  }

  /**
   * Group commit: writes arriving in the same event-loop turn (and, with the writer thread,
   * while the previous batch commits) share one transaction, so one fsync (sync=full)
   * acknowledges them all — etcd batches its raft entries the same way.
   */
  private enqueue(op: WriteOp): Promise<KeyValue> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (this.queue.length === 1 && !this.writer?.batch) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (!this.queue.length || this.writer?.batch) return;
    const ops = this.queue;
    this.queue = [];
    if (!this.db.open) { for (const o of ops) o.reject(new Error('store closed')); return; }
    const w = this.writer;
    if (w) {
      w.batch = this.post({ ops: ops.map((o) => o.op) })
        .then((reply) => this.settle(ops, reply), (err) => { for (const o of ops) o.reject(err); })
        .catch((err) => { setImmediate(() => { throw err; }); }) // a throwing watch listener: as uncaught as on the main-thread path
        .finally(() => { w.batch = undefined; this.flush(); });
      return;
    }
    let reply: Reply;
    try { reply = { results: applyBatch(this.db, this.stmts, ops.map((o) => o.op)) }; } catch (err) {
      for (const o of ops) o.reject(err); // rolled back: nothing was written
      return;
    }
    this.settle(ops, reply);
  }

  /** Watch events first (in revision order), then the callers. */
  private settle(ops: Pending[], reply: Reply): void {
    if ('error' in reply) { for (const o of ops) o.reject(new Error(reply.error)); return; } // the writer rolled back
    const { kvs, events } = settleBatch(ops.map((o) => o.op), (reply as { results: WriteResult[] }).results);
    for (const ev of events) this.events.emit('event', ev);
    ops.forEach((o, i) => { const kv = kvs[i]; if (kv instanceof StoreError) o.reject(kv); else o.resolve(kv); });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = this.current(key);
    return r && toKv(r);
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.enqueue({ op: 'create', key, value });
  }

  update(key: string, value: string, expected: number): Promise<KeyValue> {
    return this.enqueue({ op: 'update', key, value, expected });
  }

  delete(key: string, expected?: number): Promise<KeyValue> {
    return this.enqueue({ op: 'delete', key, expected });
  }

  async list(prefix: string): Promise<ListResult> {
    return this.db.transaction(() => ({
      kvs: this.stmts.list.all(prefix, prefixEnd(prefix)).map(toKv),
      revision: this.stmts.maxRev.get()?.rev ?? 0,
    }))();
  }

  async count(prefix: string): Promise<number> {
    return (await this.list(prefix)).kvs.length;
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void): Watcher {
    if (fromRevision < this.compacted) throw new StoreError('Compacted', prefix);
    const end = prefixEnd(prefix);
    // Replay history synchronously, then follow live events newer than what was replayed.
    let last = fromRevision;
    for (const r of this.stmts.since.all(fromRevision, prefix, end)) {
      const prev = this.stmts.prevOf.get(r.key, r.rev);
      onEvent({ type: r.deleted ? 'DELETE' : 'PUT', kv: toKv(r), prev: prev && !prev.deleted ? toKv(prev) : undefined });
      last = r.rev;
    }
    const listener = (ev: StoreEvent) => {
      if (ev.kv.modRevision <= last || ev.kv.key < prefix || ev.kv.key >= end) return;
      last = ev.kv.modRevision;
      onEvent(ev);
    };
    this.events.on('event', listener);
    return { cancel: () => this.events.off('event', listener), failed: failure().failed };
  }

  async currentRevision(): Promise<number> {
    return this.stmts.maxRev.get()?.rev ?? 0;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  async compact(revision: number): Promise<void> {
    if (this.writer) {
      const reply = await this.post({ compact: revision });
      if ('error' in reply) throw new Error(reply.error);
    } else compactRows(this.db, this.stmts, revision);
    this.compacted = revision;
  }

  async close(): Promise<void> {
    const w = this.writer;
    if (w) {
      // Commit what was asked for, then stop the writer thread.
      while (w.batch || (this.queue.length && !w.broken)) {
        if (!w.batch) this.flush();
        await w.batch;
      }
      if (!w.broken) await this.post({ close: true }).catch(() => {});
      await w.worker.terminate();
    } else if (this.queue.length) this.flush();
    this.events.removeAllListeners();
    this.db.close();
  }
}
