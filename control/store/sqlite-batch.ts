// The SQLite backend's schema, statements and one group-commit batch of writes, shared by the
// main thread (sync=normal) and the writer worker (sync=full, control/store/sqlite-worker.ts).
// Writes are plain data so a batch can cross a thread boundary.
import type Database from 'better-sqlite3';
import { StoreError, type KeyValue, type StoreErrorCode, type StoreEvent } from './backend.js';

export interface Row { rev: number; key: string; value: string; create_rev: number; deleted: number }

export type WriteOp =
  | { op: 'create'; key: string; value: string }
  | { op: 'update'; key: string; value: string; expected: number }
  | { op: 'delete'; key: string; expected?: number };

/** Per op: the written value, or why the op was refused (it left nothing behind). */
export interface WriteResult { kv?: KeyValue; refused?: StoreErrorCode }

export const toKv = (r: Row): KeyValue => ({ key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.rev });

export function openDb(db: Database.Database, sync: 'normal' | 'full'): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS kv (
      rev INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT NOT NULL,
      create_rev INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
}

export function prepare(db: Database.Database) {
  return {
    latest: db.prepare<[string], Row>('SELECT * FROM kv WHERE key = ? ORDER BY rev DESC LIMIT 1'),
    insert: db.prepare('INSERT INTO kv (rev, key, value, create_rev, deleted) VALUES (?, ?, ?, ?, ?)'),
    list: db.prepare<[string, string], Row>(`SELECT kv.* FROM kv JOIN (SELECT MAX(rev) AS rev FROM kv
      WHERE key >= ? AND key < ? GROUP BY key) last ON kv.rev = last.rev WHERE kv.deleted = 0 ORDER BY kv.key`),
    since: db.prepare<[number, string, string], Row>('SELECT * FROM kv WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev'),
    prevOf: db.prepare<[string, number], Row>('SELECT * FROM kv WHERE key = ? AND rev < ? ORDER BY rev DESC LIMIT 1'),
    // The AUTOINCREMENT counter, not MAX(rev): compaction may drop the newest rows (tombstones).
    maxRev: db.prepare<[], { rev: number | null }>(`SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kv'), 0),
      COALESCE((SELECT MAX(rev) FROM kv), 0)) AS rev`),
    getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    compact: db.prepare(`DELETE FROM kv WHERE rev <= ? AND (deleted = 1 OR rev < (SELECT MAX(rev) FROM kv k2 WHERE k2.key = kv.key))`),
  };
}
export type Statements = ReturnType<typeof prepare>;

/**
 * One transaction for the whole batch: each op checks before it writes and gets the next
 * revision, so a refused op fails alone. Throws (rolled back, nothing written) on a store error.
 */
export function applyBatch(db: Database.Database, stmts: Statements, ops: WriteOp[]): { results: WriteResult[]; events: StoreEvent[] } {
  const results: WriteResult[] = [];
  const events: StoreEvent[] = [];
  db.transaction(() => {
    let rev = stmts.maxRev.get()?.rev ?? 0;
    const write = (key: string, value: string, createRev: number | null, deleted: boolean, prev?: Row): KeyValue => {
      rev++;
      stmts.insert.run(rev, key, value, createRev ?? rev, deleted ? 1 : 0);
      const kv: KeyValue = { key, value, createRevision: createRev ?? rev, modRevision: rev };
      events.push({ type: deleted ? 'DELETE' : 'PUT', kv, prev: prev && toKv(prev) });
      return kv;
    };
    for (const o of ops) {
      const r = stmts.latest.get(o.key);
      const cur = r && !r.deleted ? r : undefined;
      try {
        if (o.op === 'create') {
          if (cur) throw new StoreError('KeyExists', o.key);
          results.push({ kv: write(o.key, o.value, null, false) });
        } else {
          if (!cur) throw new StoreError('NotFound', o.key);
          if (o.expected !== undefined && cur.rev !== o.expected) throw new StoreError('Conflict', o.key);
          results.push({ kv: o.op === 'update' ? write(o.key, o.value, cur.create_rev, false, cur) : write(o.key, cur.value, cur.create_rev, true, cur) });
        }
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        results.push({ refused: err.code });
      }
    }
  })();
  return { results, events };
}
