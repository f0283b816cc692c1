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

/** Per op: the revisions it got (and the value it replaced), or why it was refused (it left
 *  nothing behind). Values are not echoed back: the caller has them (less to copy between threads). */
export type WriteResult = { rev: number; createRev: number; prev?: KeyValue } | { refused: StoreErrorCode };

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
export function applyBatch(db: Database.Database, stmts: Statements, ops: WriteOp[]): WriteResult[] {
  const results: WriteResult[] = [];
  db.transaction(() => {
    let rev = stmts.maxRev.get()?.rev ?? 0;
    for (const o of ops) {
      const r = stmts.latest.get(o.key);
      const cur = r && !r.deleted ? r : undefined;
      let refused: StoreErrorCode | undefined;
      if (o.op === 'create') refused = cur ? 'KeyExists' : undefined;
      else if (!cur) refused = 'NotFound';
      else if (o.expected !== undefined && cur.rev !== o.expected) refused = 'Conflict';
      if (refused) { results.push({ refused }); continue; }
      rev++;
      const createRev = cur?.create_rev ?? rev;
      stmts.insert.run(rev, o.key, o.op === 'delete' ? cur!.value : o.value, createRev, o.op === 'delete' ? 1 : 0);
      results.push({ rev, createRev, prev: cur && toKv(cur) });
    }
  })();
  return results;
}

/** The written values and their watch events (in revision order), from the ops and their results. */
export function settleBatch(ops: WriteOp[], results: WriteResult[]): { kvs: Array<KeyValue | StoreError>; events: StoreEvent[] } {
  const kvs: Array<KeyValue | StoreError> = [];
  const events: StoreEvent[] = [];
  ops.forEach((o, i) => {
    const r = results[i];
    if ('refused' in r) { kvs.push(new StoreError(r.refused, o.key)); return; }
    const value = o.op === 'delete' ? r.prev!.value : o.value;
    const kv: KeyValue = { key: o.key, value, createRevision: r.createRev, modRevision: r.rev };
    kvs.push(kv);
    events.push({ type: o.op === 'delete' ? 'DELETE' : 'PUT', kv, prev: r.prev });
  });
  return { kvs, events };
}

/** Drops every row older than revision except each key's newest (tombstones go too). */
export function compactRows(db: Database.Database, stmts: Statements, revision: number): void {
  db.transaction(() => {
    stmts.compact.run(revision);
    stmts.setMeta.run('compacted', revision);
  })();
}
