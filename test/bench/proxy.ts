// kube-proxy cost beside the raw kernel cost, per backend, in scratch network namespaces:
// - full sync (render + one restore + jump checks) vs a bare `iptables-restore -w --noflush` of
//   the very same text into an empty namespace;
// - one Service changed among N: from the event (model update) to rules applied, vs a raw
//   one-chain restore into the same loaded table, in the old form (endpoint rules with comments)
//   and the new one (upstream's large-cluster form, no comments), and the new one again with the
//   PREROUTING/OUTPUT jumps removed: on nft the kernel then has no reachable graph to validate
//   (nf_tables walks every chain reachable from a base chain on each commit that adds a rule);
// - first-packet latency (TCP connect) to a ClusterIP whose rule is last in KUBE-SERVICES, with
//   N Services loaded vs 10, beside a direct connect to the pod IP.
// Usage: node dist/test/bench/proxy.js [--sizes 1000,5000] [--endpoints 10] [--backends nft,legacy] [--changes 5]
//   [--raw-full 0]  (skip the raw full restore: 8.5 min for 5,000 Services on nft here)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Iptables } from '../../agent/proxy/iptables/exec.js';
import { Proxier } from '../../agent/proxy/iptables/proxier.js';
import { isLargeCluster, JUMP_RULES, renderAll, renderRules, renderService } from '../../agent/proxy/iptables/render.js';
import { backendFor, type Mode } from '../../agent/proxy/iptables/wrapper.js';
import { servicePortKey, servicePortName, type EndpointInfo, type ProxyState, type ServicePortInfo } from '../../agent/proxy/types.js';

const NS = `tsk-pbench-${process.pid}`;
const NS_RAW = `${NS}-raw`;
const NS_POD = `${NS}-pod`;
const inNs = (ns: string) => ['ip', 'netns', 'exec', ns];
const CONFIG = { clusterCIDR: '10.244.0.0/16', nodeIp: '192.168.56.11' };
const PROBE = { ip: '10.96.255.254', pod: '10.244.255.2' };

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

function portOf(i: number): ServicePortInfo {
  return { namespace: 'bench', name: `svc-${i}`, portName: 'http', protocol: 'TCP', clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`, port: 80 };
}
function endpointsOf(i: number, e: number, extra = 0): EndpointInfo[] {
  const eps: EndpointInfo[] = [];
  for (let j = 0; j < e + extra; j++) {
    const k = i * (e + 1) + j;
    eps.push({ ip: `10.244.${(k >> 8) & 255}.${k & 255}`, port: 8080, ready: true });
  }
  return eps;
}

/** N services × E ready endpoints, plus the probe Service (sorted last) that a real pod answers. */
export function syntheticState(n: number, e: number): ProxyState {
  const state: ProxyState = { services: new Map() };
  for (let i = 0; i < n; i++) {
    const sp = portOf(i);
    state.services.set(`bench/svc-${i}`, { ports: [sp], endpoints: new Map([[servicePortKey(sp), endpointsOf(i, e)]]) });
  }
  const probe: ServicePortInfo = { namespace: 'zz-probe', name: 'probe', portName: '', protocol: 'TCP', clusterIP: PROBE.ip, port: 80 };
  state.services.set('zz-probe/probe', { ports: [probe], endpoints: new Map([[servicePortKey(probe), [{ ip: PROBE.pod, port: 8080, ready: true }]]]) });
  return state;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const delNs = (ns: string) => { try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* absent */ } };
const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
let podServer: ChildProcess | undefined;

/** A node namespace with a route for Service IPs and one pod namespace serving TCP 8080. */
function makeNamespaces(): void {
  for (const ns of [NS, NS_RAW, NS_POD]) delNs(ns);
  for (const ns of [NS, NS_RAW, NS_POD]) sh('ip', 'netns', 'add', ns);
  sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
  sh('ip', '-n', NS, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS_POD);
  sh('ip', '-n', NS, 'addr', 'add', '10.244.255.1/24', 'dev', 'veth0');
  sh('ip', '-n', NS, 'link', 'set', 'veth0', 'up');
  sh('ip', '-n', NS, 'route', 'add', '10.96.0.0/12', 'dev', 'veth0');
  sh('ip', '-n', NS_POD, 'addr', 'add', `${PROBE.pod}/24`, 'dev', 'eth0');
  sh('ip', '-n', NS_POD, 'link', 'set', 'eth0', 'up');
  sh('ip', '-n', NS_POD, 'link', 'set', 'lo', 'up');
  sh('ip', '-n', NS_POD, 'route', 'add', 'default', 'via', '10.244.255.1');
  podServer?.kill();
  podServer = spawn('ip', ['netns', 'exec', NS_POD, process.execPath, '-e', "require('net').createServer(s=>s.end()).listen(8080)"], { stdio: 'ignore' });
}

/** Median TCP connect time (ms) from the node namespace to ip:port over `n` fresh connections. */
function connectMs(ip: string, port: number, n = 30): number {
  const script = `const net=require('net');(async()=>{const t=[];for(let i=0;i<${n};i++){const s=process.hrtime.bigint();`
    + `await new Promise((r,j)=>{const c=net.connect(${port},'${ip}',()=>{c.destroy();r()});c.on('error',j);c.setTimeout(2000,()=>j(new Error('timeout')))});`
    + `t.push(Number(process.hrtime.bigint()-s)/1e6)}t.sort((a,b)=>a-b);console.log(t[Math.floor(t.length/2)])})().catch(e=>{console.log(-1)})`;
  for (let i = 0; i < 50; i++) {
    const v = Number(sh(...inNs(NS), process.execPath, '-e', script).trim());
    if (v >= 0) return v;
    execFileSync('sleep', ['0.1']);
  }
  throw new Error(`no answer from ${ip}:${port}`);
}

function rawRestore(ns: string, mode: Mode, text: string): number {
  const t = performance.now();
  const res = spawnSync('ip', [...inNs(ns).slice(1), backendFor(mode).restore, '-w', '--noflush'], { input: text, maxBuffer: 1 << 30 });
  const ms = performance.now() - t;
  if (res.status !== 0) throw new Error(`raw restore failed: ${res.stderr}`);
  return ms;
}

interface Row {
  backend: string; services: number; lines: number; render: number; fullSync: number; rawFull: number; save: number; jumps: number;
  change: number; rawOld: number; rawNew: number; rawUnreachable: number; changeLines: number; connect: number; connect10: number; direct: number;
}

/** One chain as a restore input: declared (flushed) and refilled. */
const chainInput = (chain: string, lines: string[]) => ['*nat', `:${chain} - [0:0]`, ...lines, 'COMMIT', ''].join('\n');

/** Adds (-I) or removes (-D) the PREROUTING/OUTPUT → KUBE-SERVICES jumps in the node namespace. */
function natJumps(mode: Mode, op: '-I' | '-D'): void {
  for (const j of JUMP_RULES.filter((r) => r.table === 'nat' && r.chain !== 'POSTROUTING')) {
    sh(...inNs(NS), backendFor(mode).iptables, '-w', '-t', 'nat', op, j.chain, ...j.args);
  }
}

async function benchOne(mode: Mode, n: number, e: number, changes: number, withRawFull: boolean): Promise<Row> {
  makeNamespaces();
  const backend = backendFor(mode);
  let state = syntheticState(10, e);
  const proxier = new Proxier(new Iptables(backend, inNs(NS)), CONFIG, () => state);
  // First-packet latency with 10 Services.
  await proxier.syncProxyRules();
  const direct = connectMs(PROBE.pod, 8080);
  const connect10 = connectMs(PROBE.ip, 80);
  await proxier.cleanupRules();

  // Full sync of N Services into an empty table vs a raw restore of the same text into another.
  state = syntheticState(n, e);
  const large = isLargeCluster(state);
  let t = performance.now();
  const text = renderRules(state, CONFIG, [], renderAll(state, CONFIG, large)).text;
  const render = performance.now() - t;
  const rawFull = withRawFull ? rawRestore(NS_RAW, mode, text) : NaN;
  delNs(NS_RAW);
  const first = await proxier.syncProxyRules();
  const connect = connectMs(PROBE.ip, 80);

  // One Service changed (an endpoint added): event → applied; raw: its SVC chain alone restored,
  // as it is now, in both forms.
  const change: number[] = [], rawOld: number[] = [], rawNew: number[] = [], rawUnreachable: number[] = [];
  const inputs: string[] = [];
  let changeLines = 0;
  for (let c = 0; c < changes; c++) {
    const i = Math.floor((c + 0.5) * n / changes);
    const sp = portOf(i);
    t = performance.now();
    state.services.set(`bench/svc-${i}`, { ports: [sp], endpoints: new Map([[servicePortKey(sp), endpointsOf(i, e, 1)]]) });
    const s = await proxier.syncProxyRules([`bench/svc-${i}`]);
    change.push(performance.now() - t);
    changeLines = s.lines;
    if (s.fullSync) throw new Error('expected a partial sync');
    const entry = state.services.get(`bench/svc-${i}`)!;
    const [[chain, oldLines]] = renderService(entry, CONFIG, false).chains;
    const newLines = renderService(entry, CONFIG, large).chains.get(chain)!;
    rawOld.push(rawRestore(NS, mode, chainInput(chain, oldLines)));
    inputs.push(chainInput(chain, newLines)); // last: the table is again what the proxier wrote
    rawNew.push(rawRestore(NS, mode, inputs[c]));
  }
  natJumps(mode, '-D');
  for (const input of inputs) rawUnreachable.push(rawRestore(NS, mode, input));
  natJumps(mode, '-I');
  await proxier.cleanupRules().catch(() => undefined);
  return {
    backend: mode, services: n, lines: first.lines, render, fullSync: first.renderMs + first.applyMs, rawFull, save: first.saveMs, jumps: first.jumpsMs,
    change: median(change), rawOld: median(rawOld), rawNew: median(rawNew), rawUnreachable: median(rawUnreachable), changeLines, connect, connect10, direct,
  };
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '1000,5000').split(',').map(Number);
  const e = Number(arg('endpoints', '10'));
  const backends = arg('backends', 'nft,legacy').split(',') as Mode[];
  const changes = Number(arg('changes', '5'));
  const withRawFull = arg('raw-full', '1') !== '0';
  const rows: Row[] = [];
  try {
    for (const mode of backends) {
      for (const n of sizes) {
        const r = await benchOne(mode, n, e, changes, withRawFull);
        rows.push(r);
        console.error(`# ${mode} ${n}: ${JSON.stringify(r)}`);
      }
    }
  } finally {
    podServer?.kill();
    for (const ns of [NS, NS_RAW, NS_POD]) delNs(ns);
  }
  const f = (x: number, w = 9) => (Number.isNaN(x) ? '-' : x.toFixed(1)).padStart(w);
  console.log(`kube-proxy vs raw iptables-restore, ${e} endpoints/Service (ms; change = median of ${changes})`);
  console.log('full sync = render + restore(s); save+jumps = the iptables-save of nat+filter and jump fixes a full sync adds');
  console.log('raw 1-chain: old = endpoint rules with comments, new = large-cluster form (what we write), unreach = new form with the nat jumps removed');
  console.log('backend  services    lines   render  full sync  raw restore  ratio save+jumps | 1 change  lines  raw old  raw new  ratio  unreach | connect@N  connect@10  direct');
  for (const r of rows) {
    console.log(`${r.backend.padEnd(7)} ${String(r.services).padStart(9)} ${String(r.lines).padStart(8)} ${f(r.render, 8)} ${f(r.fullSync, 10)} ${f(r.rawFull, 12)} ${(r.fullSync / r.rawFull).toFixed(2).padStart(6)} ${f(r.save + r.jumps, 10)} |`
      + ` ${f(r.change, 8)} ${String(r.changeLines).padStart(6)} ${f(r.rawOld, 8)} ${f(r.rawNew, 8)} ${(r.change / r.rawNew).toFixed(2).padStart(6)} ${f(r.rawUnreachable, 8)} |`
      + ` ${r.connect.toFixed(3).padStart(9)} ${r.connect10.toFixed(3).padStart(11)} ${r.direct.toFixed(3).padStart(7)}`);
  }
}

await main();
