// Embedded storage on SQLite (better-sqlite3, WAL), the way k3s' kine keeps etcd's model in
// a SQL table: one append-only row per write (revision = row id), the newest row per key is
// the current value, a deleted flag marks tombstones, and compaction drops old rows.
// sync=full (sqlite:///path?sync=full) makes every acknowledged write durable (fsync per commit).
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { Backend, failure, KeyValue, ListResult, StoreError, StoreEvent, Watcher, prefixEnd } from './backend.js';

interface Row { rev: number; key: string; value: string; create_rev: number; deleted: number }

const toKv = (r: Row): KeyValue => ({ key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.rev });

export class SqliteBackend implements Backend {
  private db: Database.Database;
  private events = new EventEmitter();
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
      insert: this.db.prepare('INSERT INTO kv (key, value, create_rev, deleted) VALUES (?, ?, ?, ?)'),
      setCreate: this.db.prepare('UPDATE kv SET create_rev = rev WHERE rev = ?'),
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

  private write(key: string, value: string, createRev: number | null, deleted: boolean, prev?: Row): KeyValue {
    const rev = Number(this.stmts.insert.run(key, value, createRev ?? 0, deleted ? 1 : 0).lastInsertRowid);
    if (createRev === null) this.stmts.setCreate.run(rev);
    const kv: KeyValue = { key, value, createRevision: createRev ?? rev, modRevision: rev };
    const ev: StoreEvent = { type: deleted ? 'DELETE' : 'PUT', kv, prev: prev && toKv(prev) };
    queueMicrotask(() => this.events.emit('event', ev));
    return kv;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = this.current(key);
    return r && toKv(r);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    return this.db.transaction(() => {
      if (this.current(key)) throw new StoreError('KeyExists', key);
      return this.write(key, value, null, false);
    })();
  }

  async update(key: string, value: string, expected: number): Promise<KeyValue> {
    return this.db.transaction(() => {
      const cur = this.current(key);
      if (!cur) throw new StoreError('NotFound', key);
      if (cur.rev !== expected) throw new StoreError('Conflict', key);
      return this.write(key, value, cur.create_rev, false, cur);
    })();
  }

  async delete(key: string, expected?: number): Promise<KeyValue> {
    return this.db.transaction(() => {
      const cur = this.current(key);
      if (!cur) throw new StoreError('NotFound', key);
      if (expected !== undefined && cur.rev !== expected) throw new StoreError('Conflict', key);
      return this.write(key, cur.value, cur.create_rev, true, cur);
    })();
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
    this.events.removeAllListeners();
    this.db.close();
  }
}
