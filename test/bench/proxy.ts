// kube-proxy sync cost beside the raw kernel cost: for N Services × E endpoints, in a scratch
// network namespace per backend, times render alone, syncProxyRules (render + one restore),
// and a bare `iptables-restore -w --noflush` of the very same text spawned from this process.
// Usage: node dist/test/bench/proxy.js [--sizes 100,1000] [--endpoints 10] [--backends nft,legacy] [--runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Iptables } from '../../agent/proxy/iptables/exec.js';
import { Proxier } from '../../agent/proxy/iptables/proxier.js';
import { renderRules } from '../../agent/proxy/iptables/render.js';
import { backendFor, type Mode } from '../../agent/proxy/iptables/wrapper.js';
import { servicePortKey, type EndpointInfo, type ProxyState } from '../../agent/proxy/types.js';

const NS = 'tskube-proxy-bench';
const PREFIX = ['ip', 'netns', 'exec', NS];
const CONFIG = { clusterCIDR: '10.244.0.0/16', nodeIp: '192.168.56.11' };

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

/** N services, E ready endpoints each, deterministic addresses. */
export function syntheticState(n: number, e: number): ProxyState {
  const state: ProxyState = { services: [], endpoints: new Map() };
  for (let i = 0; i < n; i++) {
    const sp = { namespace: 'bench', name: `svc-${i}`, portName: 'http', protocol: 'TCP' as const,
      clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`, port: 80 };
    state.services.push(sp);
    const eps: EndpointInfo[] = [];
    for (let j = 0; j < e; j++) {
      const k = i * e + j;
      eps.push({ ip: `10.244.${(k >> 8) & 255}.${k & 255}`, port: 8080, ready: true });
    }
    state.endpoints.set(servicePortKey(sp), eps);
  }
  return state;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const resetNs = () => {
  try { execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' }); } catch { /* absent */ }
  execFileSync('ip', ['netns', 'add', NS]);
};

interface Row { backend: string; services: number; lines: number; render: number; firstSync: number; sync: number; raw: number }

async function benchOne(mode: Mode, n: number, e: number, runs: number): Promise<Row> {
  resetNs();
  const backend = backendFor(mode);
  const state = syntheticState(n, e);
  const proxier = new Proxier(new Iptables(backend, PREFIX), CONFIG, () => state);
  const first = await proxier.syncProxyRules(); // full: iptables-save + restore + jump rules
  const text = renderRules(state, CONFIG, []).text;
  const render: number[] = [], sync: number[] = [], raw: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    renderRules(state, CONFIG, []);
    render.push(performance.now() - t);

    t = performance.now();
    await proxier.syncProxyRules(); // steady state: render + one restore, no save
    sync.push(performance.now() - t);

    t = performance.now();
    const res = spawnSync(PREFIX[0], [...PREFIX.slice(1), backend.restore, '-w', '--noflush'], { input: text, maxBuffer: 1 << 30 });
    raw.push(performance.now() - t);
    if (res.status !== 0) throw new Error(`raw restore failed: ${res.stderr}`);
  }
  return { backend: mode, services: n, lines: first.lines, render: median(render), firstSync: first.totalMs, sync: median(sync), raw: median(raw) };
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '100,1000').split(',').map(Number);
  const e = Number(arg('endpoints', '10'));
  const backends = arg('backends', 'nft,legacy').split(',') as Mode[];
  const runs = Number(arg('runs', '3'));
  const rows: Row[] = [];
  try {
    for (const mode of backends) for (const n of sizes) rows.push(await benchOne(mode, n, e, runs));
  } finally {
    try { execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' }); } catch { /* already gone */ }
  }
  const f = (x: number) => x.toFixed(1).padStart(9);
  console.log(`kube-proxy sync vs raw iptables-restore (${e} endpoints/service, median of ${runs}, ms)`);
  console.log('backend  services    lines   render  1st sync     sync  raw restore  sync/raw');
  for (const r of rows) {
    console.log(`${r.backend.padEnd(7)} ${String(r.services).padStart(9)} ${String(r.lines).padStart(8)} ${f(r.render)} ${f(r.firstSync)} ${f(r.sync)} ${f(r.raw).padStart(12)} ${(r.sync / r.raw).toFixed(2).padStart(9)}`);
  }
}

await main();
