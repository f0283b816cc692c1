// Embedded storage on SQLite (better-sqlite3, WAL), the way k3s' kine keeps etcd's model in
// a SQL table: one append-only row per write (revision = row id), the newest row per key is
// the current value, a deleted flag marks tombstones, and compaction drops old rows.
// Writes in one event-loop turn are group-committed; sync=full (sqlite:///path?sync=full)
// makes every acknowledged write durable (an fsync per commit).
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { Backend, failure, KeyValue, ListResult, StoreError, StoreEvent, Watcher, prefixEnd } from './backend.js';

interface Batch { rev: number; events: StoreEvent[] }
interface Pending { op: (b: Batch) => KeyValue; resolve(kv: KeyValue): void; reject(err: unknown): void }
interface Row { rev: number; key: string; value: string; create_rev: number; deleted: number }

const toKv = (r: Row): KeyValue => ({ key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.rev });

export class SqliteBackend implements Backend {
  private db: Database.Database;
  private events = new EventEmitter();
  private queue: Pending[] = [];
  private compacted = 0;
  private stmts;

  constructor(path: string, opts: { sync?: 'normal' | 'full' } = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (
        rev INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT NOT NULL,
        create_rev INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
    this.events.setMaxListeners(0);
    this.stmts = {
      latest: this.db.prepare<[string], Row>('SELECT * FROM kv WHERE key = ? ORDER BY rev DESC LIMIT 1'),
      insert: this.db.prepare('INSERT INTO kv (rev, key, value, create_rev, deleted) VALUES (?, ?, ?, ?, ?)'),
      list: this.db.prepare<[string, string], Row>(`SELECT kv.* FROM kv JOIN (SELECT MAX(rev) AS rev FROM kv
        WHERE key >= ? AND key < ? GROUP BY key) last ON kv.rev = last.rev WHERE kv.deleted = 0 ORDER BY kv.key`),
      since: this.db.prepare<[number, string, string], Row>('SELECT * FROM kv WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev'),
      prevOf: this.db.prepare<[string, number], Row>('SELECT * FROM kv WHERE key = ? AND rev < ? ORDER BY rev DESC LIMIT 1'),
      // The AUTOINCREMENT counter, not MAX(rev): compaction may drop the newest rows (tombstones).
      maxRev: this.db.prepare<[], { rev: number | null }>(`SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kv'), 0),
        COALESCE((SELECT MAX(rev) FROM kv), 0)) AS rev`),
      getMeta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
      compact: this.db.prepare(`DELETE FROM kv WHERE rev <= ? AND (deleted = 1 OR rev < (SELECT MAX(rev) FROM kv k2 WHERE k2.key = kv.key))`),
    };
    this.compacted = this.stmts.getMeta.get('compacted')?.value ?? 0;
  }

  private current(key: string): Row | undefined {
    const r = this.stmts.latest.get(key);
    return r && !r.deleted ? r : undefined;
  }

  /** Inside a batch: appends the row for this write with the next revision. */
  private write(b: Batch, key: string, value: string, createRev: number | null, deleted: boolean, prev?: Row): KeyValue {
    const rev = ++b.rev;
    this.stmts.insert.run(rev, key, value, createRev ?? rev, deleted ? 1 : 0);
    const kv: KeyValue = { key, value, createRevision: createRev ?? rev, modRevision: rev };
    b.events.push({ type: deleted ? 'DELETE' : 'PUT', kv, prev: prev && toKv(prev) });
    return kv;
  }

  /**
   * Group commit: writes arriving in the same event-loop turn share one transaction, so one
   * fsync (sync=full) acknowledges them all — etcd batches its raft entries the same way.
   * Each op checks before it writes, so a refused op (StoreError) leaves nothing behind.
   */
  private enqueue(op: (b: Batch) => KeyValue): Promise<KeyValue> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const ops = this.queue;
    this.queue = [];
    if (!this.db.open) { for (const o of ops) o.reject(new Error('store closed')); return; }
    const b: Batch = { rev: 0, events: [] };
    const results: Array<{ kv?: KeyValue; err?: unknown }> = [];
    try {
      this.db.transaction(() => {
        b.rev = this.stmts.maxRev.get()?.rev ?? 0;
        for (const o of ops) {
          try { results.push({ kv: o.op(b) }); } catch (err) {
            if (!(err instanceof StoreError)) throw err;
            results.push({ err });
          }
        }
      })();
    } catch (err) {
      for (const o of ops) o.reject(err); // rolled back: nothing was written
      return;
    }
    for (const ev of b.events) this.events.emit('event', ev);
    ops.forEach((o, i) => (results[i].err ? o.reject(results[i].err) : o.resolve(results[i].kv!)));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = this.current(key);
    return r && toKv(r);
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.enqueue((b) => {
      if (this.current(key)) throw new StoreError('KeyExists', key);
      return this.write(b, key, value, null, false);
    });
  }

  update(key: string, value: string, expected: number): Promise<KeyValue> {
    return this.enqueue((b) => {
      const cur = this.current(key);
      if (!cur) throw new StoreError('NotFound', key);
      if (cur.rev !== expected) throw new StoreError('Conflict', key);
      return this.write(b, key, value, cur.create_rev, false, cur);
    });
  }

  delete(key: string, expected?: number): Promise<KeyValue> {
    return this.enqueue((b) => {
      const cur = this.current(key);
      if (!cur) throw new StoreError('NotFound', key);
      if (expected !== undefined && cur.rev !== expected) throw new StoreError('Conflict', key);
      return this.write(b, key, cur.value, cur.create_rev, true, cur);
    });
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
    this.db.transaction(() => {
      this.stmts.compact.run(revision);
      this.stmts.setMeta.run('compacted', revision);
    })();
    this.compacted = revision;
  }

  async close(): Promise<void> {
    if (this.queue.length) this.flush();
    this.events.removeAllListeners();
    this.db.close();
  }
}
