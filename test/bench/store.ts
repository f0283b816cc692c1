// Benchmark: the storage backends against their raw stores, same run, same value sizes.
// SQLite: raw better-sqlite3 single-row transactions (WAL, synchronous=FULL) vs
// SqliteBackend(sync=full).create; etcd: raw etcd3 puts vs EtcdBackend.create at the same
// concurrency, on a real single-member etcd (its own fsync). A second table prices one etcd call
// in CPU: etcd3 put and txn (grpc-js) beside the same txn through EtcdKv (node:http2). Prints tables.
// Run: node dist/test/bench/store.js [--seconds 3] [--concurrency 64]
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type Backend } from '../../control/store/index.js';
import { EtcdKv } from '../../control/store/etcd-kv.js';
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

/** User + system CPU seconds of a process so far (USER_HZ = 100 on Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields 3… (utime is 14, stime 15)
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Rate of op at `conc` in flight, with this process's and etcd's CPU per op. */
async function pricedRate(seconds: number, conc: number, etcdPid: number, op: (i: number) => Promise<unknown>): Promise<Record<string, string>> {
  await rate(0.5, conc, op); // warm-up
  const e0 = cpuSeconds(etcdPid), c0 = process.cpuUsage(), t0 = performance.now();
  const perSecond = await rate(seconds, conc, op);
  const n = (perSecond * (performance.now() - t0)) / 1000;
  const c = process.cpuUsage(c0);
  return { 'calls/s': perSecond.toFixed(0), 'client CPU ms/call': ((c.user + c.system) / 1000 / n).toFixed(3), 'etcd CPU ms/call': ((1000 * (cpuSeconds(etcdPid) - e0)) / n).toFixed(3) };
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
  const calls: Array<Record<string, string>> = [];
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

        // What one call costs: the API server's CPU per create on etcd is mostly this.
        const pid = etcd.members[0].proc!.pid!;
        const c3 = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
        const kv = new EtcdKv({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
        const create = (prefix: string, i: number) => {
          const key = Buffer.from(`/registry/pods/${prefix}/bench-${i}`);
          return { compare: [{ key, target: 'Create' as const, result: 'Equal' as const, create_revision: 0 }], success: [{ request_put: { key, value: Buffer.from(podValue(i)) } }] };
        };
        calls.push({ call: 'etcd3 put', ...await pricedRate(seconds, conc, pid, (i) => c3.put(`/raw/pods/x/bench-${i}`).value(podValue(i)).exec()) });
        calls.push({ call: 'etcd3 txn (create)', ...await pricedRate(seconds, conc, pid, (i) => c3.kv.txn(create('c3', i))) });
        calls.push({ call: 'EtcdKv txn (create)', ...await pricedRate(seconds, conc, pid, (i) => kv.txn(create('kv', i))) });
        c3.close();
        kv.close();
      } finally { await etcd.stop(); }
    } else console.log('# etcd skipped: no /usr/bin/etcd');
    printTable(`Store backends vs raw stores, ${seconds} s each (raw sqlite is synchronous: concurrency 1)`, rows);
    if (calls.length) printTable(`etcd calls at concurrency ${conc}, ${podValue(0).length}-byte values: CPU per call`, calls);
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
