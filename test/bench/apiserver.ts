// Benchmark: the API server on each store (SQLite default, SQLite sync=FULL, etcd), through
// real HTTP to a real `tskube server`: pod creates at 200/s (latency, beside raw store writes
// at 200/s), peak durable creates beside the raw store's durable write rate (same run, same
// value size), 100 watchers' event latency, and the server's RSS with 10,000 pods stored; on etcd also the store calls (from
// etcd's own metrics) per create during the peak. Prints a table.
// Run: node dist/test/bench/apiserver.js [--backends sqlite,sqlite-full,etcd] [--pods 10000]
//   BENCH_CPU_PROF=/tmp/prof also writes the API server's CPU profile (node --cpu-prof) there.
import http from 'node:http';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, repoRoot, waitFor } from '../helpers/server.js';
import { haveEtcd, startEtcd, type EtcdCluster } from '../integration/etcd-cluster.js';
import { cpuSeconds, printTable, rate } from './store.js';

interface TestServer { url: string; proc: ChildProcess; stop(): Promise<void> }

/** A `tskube server` on a free loopback port (node --cpu-prof when BENCH_CPU_PROF is set). */
async function startServer(args: string[]): Promise<TestServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-srv-'));
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const proc = spawn(process.execPath, [...prof, join(repoRoot, 'dist/bin/tskube.js'), 'server', '--listen', `127.0.0.1:${port}`, '--data-dir', dir, ...args],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'warn' } });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`API server at ${url}`, async () => (await fetch(`${url}/readyz`)).ok, 20_000);
  return {
    url, proc,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(method: string, url: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { s += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body: s }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench', tier: 'web' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } });

let seq = 0;
async function createPod(s: TestServer, prefix: string): Promise<string> {
  const res = await request('POST', `${s.url}/api/v1/namespaces/default/pods`, pod(`${prefix}-${seq++}`));
  if (res.status !== 201) throw new Error(`create pod: ${res.status} ${res.body.slice(0, 300)}`);
  return res.body;
}

const quantile = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN; };
const ms = (x: number) => x.toFixed(1);

/** Open loop: a create every 1000/rate ms for `seconds`, latency counted from its scheduled time;
 *  beside them, a GET of one pod every 10 ms (reads must not wait for the writes' fsyncs). */
async function steadyWrites(s: TestServer, perSecond: number, seconds: number, readPath: string): Promise<{ writes: number[]; reads: number[] }> {
  const writes: number[] = [], reads: number[] = [];
  const t0 = performance.now() + 50;
  const open = async (n: number, every: number, op: () => Promise<unknown>, lat: number[]) => Promise.all(Array.from({ length: n }, async (_, i) => {
    const at = t0 + i * every;
    await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
    await op();
    lat.push(performance.now() - at);
  }));
  await Promise.all([
    open(perSecond * seconds, 1000 / perSecond, () => createPod(s, 'steady'), writes),
    open(100 * seconds, 10, async () => { const r = await request('GET', `${s.url}${readPath}`); if (r.status !== 200) throw new Error(`get: ${r.status}`); }, reads),
  ]);
  return { writes, reads };
}

/** 100 watch streams on pods; each change's latency from the write's start to its arrival at every watcher. */
async function watchLatency(s: TestServer, watchers: number, changes: number): Promise<number[]> {
  const list = JSON.parse((await request('GET', `${s.url}/api/v1/namespaces/default/pods?limit=1`)).body) as { metadata: { resourceVersion: string } };
  const started = new Map<string, number>();
  const lat: number[] = [];
  const reqs: http.ClientRequest[] = [];
  await Promise.all(Array.from({ length: watchers }, () => new Promise<void>((ready, fail) => {
    const req = http.get(`${s.url}/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
          const m = /"name":"(watched-\d+)"/.exec(line);
          const t = m && started.get(m[1]);
          if (t !== undefined && t !== null && line.startsWith('{"type":"ADDED"')) lat.push(performance.now() - t);
        }
      });
      ready();
    });
    req.on('error', fail);
    reqs.push(req);
  })));
  for (let i = 0; i < changes; i++) {
    const name = `watched-${i}`;
    started.set(name, performance.now());
    const res = await request('POST', `${s.url}/api/v1/namespaces/default/pods`, pod(name));
    if (res.status !== 201) throw new Error(`create ${name}: ${res.status}`);
    await new Promise((r) => setTimeout(r, 50)); // 20 changes/s
  }
  const deadline = Date.now() + 5000;
  while (lat.length < watchers * changes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const r of reqs) r.destroy();
  while (lat.length < watchers * changes) lat.push(Infinity); // never seen counts as a miss
  return lat;
}

/** Unary gRPC calls etcd answered (Range, Txn, Put, …; not Watch streams), from its /metrics. */
async function etcdCalls(etcd: EtcdCluster): Promise<number> {
  const text = await (await fetch(`http://${etcd.endpoints[0]}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^grpc_server_handled_total\{[^}]*grpc_method="(\w+)"[^}]*\} (\d+)/gm)) if (m[1] !== 'Watch') n += Number(m[2]);
  return n;
}

const rssMB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function podCount(s: TestServer): Promise<number> {
  const res = await request('GET', `${s.url}/api/v1/pods`);
  if (res.status !== 200) throw new Error(`list pods: ${res.status} ${res.body.slice(0, 300)}`);
  return (JSON.parse(res.body) as { items: unknown[] }).items.length;
}

/** Runs fn with a raw durable single write on the bench's store: an etcd3 put, or one SQLite
 *  row in its own transaction (WAL; synchronous NORMAL for the default store, FULL otherwise). */
async function withRawStore<T>(kind: string, etcd: EtcdCluster | undefined, fn: (put: (key: string, value: string) => unknown) => Promise<T>): Promise<T> {
  if (kind === 'etcd') {
    const client = new Etcd3({ hosts: etcd!.endpoints.map((e) => `http://${e}`) });
    try { return await fn((key, value) => client.put(key).value(value).exec()); } finally { client.close(); }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${kind === 'sqlite' ? 'NORMAL' : 'FULL'}`);
    db.exec('CREATE TABLE kv (rev INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT NOT NULL)');
    const ins = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?)');
    const one = db.transaction((key: string, value: string) => ins.run(key, value));
    return await fn(one);
  } finally { db.close(); rmSync(dir, { recursive: true, force: true }); }
}

/** The raw store at 200 single writes/s, open loop, values of `size` bytes: the latency floor under the API's. */
async function rawSteady(kind: string, size: number, seconds: number, etcd?: EtcdCluster): Promise<number[]> {
  const value = 'x'.repeat(size);
  const lat: number[] = [];
  await withRawStore(kind, etcd, async (put) => {
    const t0 = performance.now() + 50;
    await Promise.all(Array.from({ length: 200 * seconds }, async (_, i) => {
      const at = t0 + i * 5;
      await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
      await put(`/raw/steady-${i}`, value); // /raw/: outside what the API server watches
      lat.push(performance.now() - at);
    }));
  });
  return lat;
}

/** The raw store's durable single-write rate with values of `size` bytes (SQLite at concurrency 1). */
function rawRate(kind: string, size: number, seconds: number, conc: number, etcd?: EtcdCluster): Promise<number> {
  const value = 'x'.repeat(size);
  return withRawStore(kind, etcd, (put) => rate(seconds, kind === 'etcd' ? conc : 1, (i) => put(`/raw/bench-${i}`, value)));
}

async function runBackend(kind: string, opts: { pods: number; seconds: number; conc: number }): Promise<Record<string, string | number>> {
  let etcd: EtcdCluster | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'tskube-bench-api-'));
  let s: TestServer | undefined;
  try {
    let storage: string;
    if (kind === 'etcd') { etcd = await startEtcd(1); storage = `${etcd.url}?compact=0`; }
    else storage = `sqlite://${join(dataDir, 'state.db')}?compact=0${kind === 'sqlite-full' ? '&sync=full' : ''}`;
    s = await startServer(['--storage', storage, '--disable', 'scheduler,controllers,dns']);
    for (let i = 0; i < 200; i++) await createPod(s, 'warm'); // JIT warm-up
    const sized = await createPod(s, 'size');
    const size = sized.length;
    const readPath = `/api/v1/namespaces/default/pods/${(JSON.parse(sized) as { metadata: { name: string } }).metadata.name}`;

    const { writes: steady, reads } = await steadyWrites(s, 200, opts.seconds, readPath);
    const rawSteadyLat = await rawSteady(kind, size, opts.seconds, etcd);
    // The raw rate right before and right after the API's peak (a VM disk's fsync time drifts).
    const etcdPid = etcd?.members[0]?.proc?.pid;
    const cpu = () => ({ etcd: etcdPid ? cpuSeconds(etcdPid) : 0, bench: process.cpuUsage(), t: performance.now() });
    const used = (a: ReturnType<typeof cpu>, ops: number) => { const b = process.cpuUsage(a.bench); return { etcd: (1000 * (cpu().etcd - a.etcd)) / ops, bench: (b.user + b.system) / 1000 / ops }; };
    const r0 = cpu();
    const rawBefore = await rawRate(kind, size, opts.seconds, opts.conc, etcd);
    const rawCpu = used(r0, rawBefore * (performance.now() - r0.t) / 1000);
    const callsBefore = etcd && await etcdCalls(etcd);
    const cpuBefore = cpuSeconds(s.proc.pid!);
    const p0 = cpu();
    const t0 = performance.now();
    let n = 0;
    await Promise.all(Array.from({ length: opts.conc }, async () => {
      while (performance.now() - t0 < opts.seconds * 1000) { await createPod(s!, 'peak'); n++; }
    }));
    const peak = n / ((performance.now() - t0) / 1000);
    const cpuPerCreate = (1000 * (cpuSeconds(s.proc.pid!) - cpuBefore)) / n;
    const peakCpu = used(p0, n);
    const callsPerCreate = etcd ? ((await etcdCalls(etcd)) - callsBefore!) / n : NaN;
    const raw = (rawBefore + await rawRate(kind, size, opts.seconds, opts.conc, etcd)) / 2;
    const watch = await watchLatency(s, 100, 30);

    await s.stop();

    // A fresh server (and store) holding exactly `pods` pods: RSS at rest and after a full list.
    if (kind === 'etcd') { await etcd!.stop(); etcd = await startEtcd(1); storage = `${etcd.url}?compact=0`; }
    else storage = storage.replace('state.db', 'state2.db');
    s = await startServer(['--storage', storage, '--disable', 'scheduler,controllers,dns']);
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => { while (next++ < opts.pods) await createPod(s!, 'fill'); }));
    await new Promise((r) => setTimeout(r, 1000));
    const rssStored = rssMB(s.proc.pid!);
    const total = await podCount(s);
    const rssListed = rssMB(s.proc.pid!);
    return {
      backend: kind === 'sqlite-full' ? 'sqlite sync=FULL' : kind === 'etcd' ? 'etcd (1 member)' : 'sqlite (default)',
      '200/s p50 ms': ms(quantile(steady, 0.5)), '200/s p99 ms': ms(quantile(steady, 0.99)), 'raw 200/s p99 ms': ms(quantile(rawSteadyLat, 0.99)), 'GETs meanwhile p99 ms': ms(quantile(reads, 0.99)),
      'peak creates/s': peak.toFixed(0), 'store calls/create': etcd ? callsPerCreate.toFixed(2) : '-',
      'server CPU ms/create': cpuPerCreate.toFixed(2),
      // Where the two cores went: the store's process (etcd) and this bench's client, per op.
      'etcd CPU ms/create (raw put)': etcd ? `${peakCpu.etcd.toFixed(2)} (${rawCpu.etcd.toFixed(2)})` : '-',
      'client CPU ms/create (raw)': `${peakCpu.bench.toFixed(2)} (${rawCpu.bench.toFixed(2)})`,
      'raw store/s': raw.toFixed(0), 'api/raw': `${((100 * peak) / raw).toFixed(0)}%`,
      'watch p50 ms': ms(quantile(watch, 0.5)), 'watch p99 ms': ms(quantile(watch, 0.99)),
      pods: total, 'RSS MB': rssStored.toFixed(0), 'RSS after list MB': rssListed.toFixed(0),
    };
  } finally {
    await s?.stop();
    await etcd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({ options: {
    // etcd first: its raw baseline is this process's etcd3 client, CPU-bound, and slower in a
    // process whose heap the SQLite runs grew (4.3k instead of 5.5–6.8k puts/s).
    backends: { type: 'string', default: 'etcd,sqlite,sqlite-full' }, pods: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '64' } } });
  const rows = [];
  for (const kind of values.backends!.split(',')) {
    if (kind === 'etcd' && !haveEtcd) { console.log('# etcd skipped: no /usr/bin/etcd'); continue; }
    rows.push(await runBackend(kind, { pods: Number(values.pods), seconds: Number(values.seconds), conc: Number(values.concurrency) }));
    console.log(JSON.stringify(rows.at(-1)));
  }
  printTable(`API server: pod creates over HTTP (raw = the store's own durable single writes, same value size; sqlite raw at concurrency 1, etcd raw at ${values.concurrency})`, rows);
  console.log('targets: 200/s p99 <= 50 ms; api/raw >= 25% (sqlite FULL) / >= 50% (etcd); watch p99 <= 100 ms; RSS <= 200 MB');
  agent.destroy();
}

await main();
