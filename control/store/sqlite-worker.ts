// The SQLite backend's writer thread for sync=full: it runs each group-commit batch and each
// compaction (and their fsyncs) off the API server's main thread, so a slow disk delays only
// the writes waiting on it, not every request. Reads stay on the main thread's connection.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { applyBatch, compactRows, openDb, prepare, type WriteOp } from './sqlite-batch.js';

const db = new Database(workerData.path as string);
openDb(db, 'full');
const stmts = prepare(db);

// One reply per message, in order: the backend matches them by position.
parentPort!.on('message', (msg: { ops?: WriteOp[]; compact?: number; close?: true }) => {
  try {
    if (msg.close) { db.close(); parentPort!.postMessage({}); return; }
    if (msg.compact !== undefined) { compactRows(db, stmts, msg.compact); parentPort!.postMessage({}); return; }
    parentPort!.postMessage({ results: applyBatch(db, stmts, msg.ops!) });
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).message });
  }
});
