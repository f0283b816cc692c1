// Benchmark: the storage backends against their raw stores, same run, same value sizes.
// SQLite: raw better-sqlite3 single-row transactions (WAL, synchronous=FULL) vs
// SqliteBackend(sync=full).create; etcd: raw etcd3 puts vs EtcdBackend.create at the same
// concurrency, on a real single-member etcd (its own fsync). Prints a table.
// Run: node dist/test/bench/store.js [--seconds 3] [--concurrency 64]
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type Backend } from '../../control/store/index.js';
import { haveEtcd, startEtcd } from '../integration/etcd-cluster.js';

/** A pod as the API server stores it, ~1.3 KB of JSON. */
export function podValue(i: number): string {
  return JSON.stringify({
    kind: 'Pod', apiVersion: 'v1',
    metadata: { name: `bench-${i}`, namespace: 'default', uid: '3c1d0e5e-8f4f-4e43-9a9b-0b5a7c6a1f00', creationTimestamp: new Date().toISOString(), labels: { app: 'bench', tier: 'web' } },
    spec: {
      containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '10m', memory: '16Mi' } },
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', serviceAccountName: 'default', schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  });
}

/** Runs op with `concurrency` in flight for `seconds`; returns ops/s. */
export async function rate(seconds: number, concurrency: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> {
  let i = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) await op(i++);
  }));
  return i / ((performance.now() - t0) / 1000);
}

export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n${title}`);
  const cols = Object.keys(rows[0]);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  console.log(cols.map((c, j) => c.padEnd(w[j])).join('  '));
  for (const r of rows) console.log(cols.map((c, j) => String(r[c]).padEnd(w[j])).join('  '));
}

async function main() {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '64' } } });
  const seconds = Number(values.seconds), conc = Number(values.concurrency);
  const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-store-'));
  const rows: Array<Record<string, string | number>> = [];
  const size = podValue(0).length;
  try {
    // Raw better-sqlite3: one row per transaction, WAL, synchronous=FULL — the durable ceiling.
    const raw = new Database(join(dir, 'raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('CREATE TABLE kv (rev INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT NOT NULL)');
    const ins = raw.prepare('INSERT INTO kv (key, value) VALUES (?, ?)');
    const one = raw.transaction((k: string, v: string) => ins.run(k, v));
    const rawSqlite = await rate(seconds, 1, (i) => one(`/registry/pods/default/bench-${i}`, podValue(i)));
    raw.close();
    const sq: Backend = openStore(`sqlite://${join(dir, 'backend.db')}?sync=full&compact=0`);
    const backendSqlite = await rate(seconds, conc, (i) => sq.create(`/registry/pods/default/bench-${i}`, podValue(i)));
    await sq.close();
    rows.push({ store: 'sqlite (sync=FULL)', 'value bytes': size, concurrency: `1 / ${conc}`, 'raw ops/s': rawSqlite.toFixed(0), 'backend creates/s': backendSqlite.toFixed(0), 'backend/raw': `${((100 * backendSqlite) / rawSqlite).toFixed(0)}%` });

    if (haveEtcd) {
      const etcd = await startEtcd(1);
      try {
        const client = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
        const rawEtcd = await rate(seconds, conc, (i) => client.put(`/raw/pods/default/bench-${i}`).value(podValue(i)).exec());
        client.close();
        const eb = openStore(`${etcd.url}?compact=0`);
        const backendEtcd = await rate(seconds, conc, (i) => eb.create(`/registry/pods/default/bench-${i}`, podValue(i)));
        await eb.close();
        rows.push({ store: 'etcd (1 member, fsync)', 'value bytes': size, concurrency: `${conc} / ${conc}`, 'raw ops/s': rawEtcd.toFixed(0), 'backend creates/s': backendEtcd.toFixed(0), 'backend/raw': `${((100 * backendEtcd) / rawEtcd).toFixed(0)}%` });
      } finally { await etcd.stop(); }
    } else console.log('# etcd skipped: no /usr/bin/etcd');
    printTable(`Store backends vs raw stores, ${seconds} s each (raw sqlite is synchronous: concurrency 1)`, rows);
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
