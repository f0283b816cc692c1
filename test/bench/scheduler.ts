// Scheduler throughput on hollow nodes (upstream scheduler_perf style): 1,000 Node objects with
// no kubelet, 10,000 pending pods, through a real `tskube server` (API + SQLite store). Measures
// binds/s for the backlog and per-pod latency (created → seen bound) with pods arriving at a
// fixed rate, beside raw baselines from the same run: bare binding POSTs and bare pod POSTs.
// Usage: node dist/test/bench/scheduler.js [nodes=1000] [pods=10000] [rate=500]; profiling the API
// server: start it under node --cpu-prof and set TSKUBE_BENCH_SERVER to its URL.
import { performance } from 'node:perf_hooks';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { SharedInformers } from '../../control/controllers/informers.js';
import { Scheduler } from '../../control/scheduler/scheduler.js';
import { startServer } from '../helpers/server.js';

const [NODES = 1000, PODS = 10_000, RATE = 500] = process.argv.slice(2).map(Number);
const OWNERS = 20;

const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN; };

/** Runs fn over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (x: T, i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) { const i = next++; await fn(items[i]!, i); }
  }));
}

function hollowNode(i: number): Node & KubeObject {
  return { metadata: { name: `hollow-${i}`, labels: { 'kubernetes.io/hostname': `hollow-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` } } };
}

function benchPod(ns: string, i: number): Pod & KubeObject {
  const owner = `owner-${i % OWNERS}`;
  return {
    metadata: { name: `p-${i}`, namespace: ns, labels: { app: owner },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `00000000-0000-0000-0000-${String(i % OWNERS).padStart(12, '0')}`, controller: true }] },
    spec: { containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

async function main(): Promise<void> {
  // TSKUBE_BENCH_SERVER=http://… uses a server started by hand (e.g. under node --cpu-prof).
  const external = process.env.TSKUBE_BENCH_SERVER;
  const srv = external ? { url: external, stop: async () => {} } : await startServer(['--disable', 'scheduler,controllers,dns']);
  const client = new ApiClient({ server: srv.url, userAgent: 'bench' });
  const rows: string[][] = [];
  try {
    let t = performance.now();
    await pool([...Array(NODES).keys()], 32, async (i) => {
      const n = await client.create(R.nodes, hollowNode(i));
      const res = { cpu: '32', memory: '128Gi', pods: '110' };
      await client.patch(R.nodes, n.metadata!.name!, undefined, { status: { capacity: res, allocatable: res,
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() }] } }, 'merge', 'status');
    });
    console.log(`${NODES} hollow nodes in ${Math.round(performance.now() - t)} ms`);
    for (const ns of ['raw', 'backlog', 'arrival']) await client.create(R.namespaces, { metadata: { name: ns } });

    // Baseline 1: bare pod creates (what arrival at RATE costs the API server by itself).
    const rawN = Math.min(2000, PODS);
    t = performance.now();
    await pool([...Array(rawN).keys()], 64, (i) => client.create(R.pods, benchPod('raw', i)));
    const createRate = rawN / ((performance.now() - t) / 1000);
    // Baseline 2: bare binding POSTs, round-robin over nodes, no scheduling logic.
    t = performance.now();
    await pool([...Array(rawN).keys()], 64, (i) => client.createSubresource(R.pods, `p-${i}`, 'raw', 'binding',
      { apiVersion: 'v1', kind: 'Binding', metadata: { name: `p-${i}`, namespace: 'raw' }, target: { apiVersion: 'v1', kind: 'Node', name: `hollow-${i % NODES}` } }));
    const rawBind = rawN / ((performance.now() - t) / 1000);
    rows.push(['raw: POST pods (64 in flight)', `${rawN}`, createRate.toFixed(0), '', '']);
    rows.push(['raw: POST pods/binding (64 in flight)', `${rawN}`, rawBind.toFixed(0), '', '']);

    // The backlog: PODS pending pods, then the scheduler starts; time until all are seen bound.
    t = performance.now();
    await pool([...Array(PODS).keys()], 64, (i) => client.create(R.pods, benchPod('backlog', i)));
    console.log(`${PODS} pending pods created in ${Math.round(performance.now() - t)} ms`);
    const informers = new SharedInformers(client);
    // Bindings are observed through the scheduler's own pod informer (one watch stream, as in a
    // real scheduler process), at the moment the bound pod arrives over the watch.
    const boundAt = new Map<string, number>();
    const bound: Record<string, number> = {};
    informers.for<Pod>(R.pods).onUpdate((_, p) => {
      const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
      if (p.spec?.nodeName && !boundAt.has(key)) { boundAt.set(key, performance.now()); bound[p.metadata!.namespace!] = (bound[p.metadata!.namespace!] ?? 0) + 1; }
    });
    informers.for<Pod>(R.pods).onAdd((p) => { if (p.spec?.nodeName) boundAt.set(`${p.metadata?.namespace}/${p.metadata?.name}`, performance.now()); });
    const sched = new Scheduler(client, informers, 'default-scheduler');
    const algo: number[] = [];
    const orig = sched.scheduleOne.bind(sched);
    sched.scheduleOne = async (key: string) => { const t0 = performance.now(); await orig(key); algo.push(performance.now() - t0); };
    const t0 = performance.now();
    await sched.start();
    const listed = performance.now() - t0;
    const backlogDone = await until(() => (bound.backlog ?? 0) >= PODS, 300_000);
    const secs = (backlogDone - t0) / 1000;
    console.log(`backlog bound in ${secs.toFixed(1)} s`);
    rows.push([`scheduler: ${PODS} backlog on ${NODES} nodes (incl. ${Math.round(listed)} ms initial list)`, `${PODS}`, (PODS / secs).toFixed(0),
      `${q(algo, 0.5).toFixed(2)}`, `${q(algo, 0.99).toFixed(2)}`]);

    // Arrival: pods created at RATE/s while the scheduler runs; latency = created → seen bound.
    const arrN = Math.min(PODS, RATE * 10);
    const createdAt = new Map<string, number>();
    algo.length = 0;
    const start = performance.now();
    const creates = new Set<Promise<unknown>>();
    for (let i = 0; i < arrN; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      while (creates.size >= 128) await Promise.race(creates); // the API server is behind: the rate drops
      const pr: Promise<unknown> = client.create(R.pods, benchPod('arrival', i)).then(() => { createdAt.set(`arrival/p-${i}`, performance.now()); creates.delete(pr); });
      creates.add(pr);
    }
    await Promise.all(creates);
    const sentFor = (performance.now() - start) / 1000;
    const arrDone = await until(() => (bound.arrival ?? 0) >= arrN, 120_000);
    const lat = [...createdAt].map(([k, c]) => (boundAt.get(k) ?? NaN) - c).filter((x) => !Number.isNaN(x));
    rows.push([`scheduler: ${arrN} pods arriving at ${RATE}/s (sent at ${(arrN / sentFor).toFixed(0)}/s)`, `${arrN}`, (arrN / ((arrDone - start) / 1000)).toFixed(0),
      `${q(lat, 0.5).toFixed(1)}`, `${q(lat, 0.99).toFixed(1)}`]);
    sched.stop();
    informers.stop();

    console.log('');
    console.log(`${'run'.padEnd(72)} ${'pods'.padStart(6)} ${'per s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
    for (const r of rows) console.log(`${r[0]!.padEnd(72)} ${r[1]!.padStart(6)} ${r[2]!.padStart(7)} ${r[3]!.padStart(8)} ${r[4]!.padStart(8)}`);
    console.log('(backlog p50/p99: time inside scheduleOne per pod, filter+score+assume; arrival p50/p99: pod POST returned → bound seen through a watch)');
  } finally {
    await srv.stop();
  }
}


async function until(cond: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('bench timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now();
}

main().catch((err) => { console.error(err); process.exit(1); });
