// The SQLite backend's writer thread for sync=full: it runs each group-commit batch (and its
// fsync) off the API server's main thread, so a slow disk delays only the writes waiting on
// it, not every request. Reads stay on the main thread's own connection (WAL readers).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { applyBatch, openDb, prepare, type WriteOp } from './sqlite-batch.js';

const db = new Database(workerData.path as string);
openDb(db, 'full');
const stmts = prepare(db);

parentPort!.on('message', (msg: { ops?: WriteOp[]; close?: boolean }) => {
  if (msg.close) { db.close(); parentPort!.postMessage({ closed: true }); return; }
  try {
    parentPort!.postMessage({ results: applyBatch(db, stmts, msg.ops!) });
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).message });
  }
});
