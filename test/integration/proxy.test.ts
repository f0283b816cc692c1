// kube-proxy against a real kernel, on both backends: a "node" network namespace with a bridge
// and two "pod" namespaces each running an HTTP and a UDP server that answer their own name.
// Rules are applied in the node namespace; ClusterIP, NodePort (node address and 127.0.0.1),
// affinity, rejects, UDP conntrack cleanup, repair by full resync, partial syncs. Needs root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient } from '../../control/client/api-client.js';
import { startKubeProxy } from '../../agent/proxy/index.js';
import { Iptables } from '../../agent/proxy/iptables/exec.js';
import { Proxier } from '../../agent/proxy/iptables/proxier.js';
import { backendFor, type Mode } from '../../agent/proxy/iptables/wrapper.js';
import { serviceEntry } from '../../agent/proxy/service-model.js';
import type { ProxyState } from '../../agent/proxy/types.js';
import { FakeApi } from './proxy-fake-api.js';

const NODE = `tsk-pt-node-${process.pid}`;
const PODS = [{ ns: `tsk-pt-a-${process.pid}`, name: 'pod-a', ip: '10.244.1.2' }, { ns: `tsk-pt-b-${process.pid}`, name: 'pod-b', ip: '10.244.1.3' }];
const IN_NODE = ['ip', 'netns', 'exec', NODE];
const CLUSTER_IP = '10.96.100.10';
const NODE_ADDR = '192.168.77.1';
const servers: ChildProcess[] = [];

const sh = (...argv: string[]): string => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
const tryDel = (ns: string) => { try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* absent */ } };

function cleanup(): void {
  for (const s of servers) if (s.pid && s.exitCode === null) { try { process.kill(s.pid); } catch { /* gone */ } }
  for (const ns of [NODE, ...PODS.map((p) => p.ns)]) tryDel(ns); // takes its rules, links and routes along
}

before(async () => {
  cleanup();
  sh('ip', 'netns', 'add', NODE);
  const node = (...a: string[]) => sh('ip', '-n', NODE, ...a);
  node('link', 'set', 'lo', 'up');
  node('link', 'add', 'cni0', 'type', 'bridge');
  node('addr', 'add', '10.244.1.1/24', 'dev', 'cni0');
  node('link', 'set', 'cni0', 'up');
  node('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'); // the node's own address, for NodePorts
  node('addr', 'add', `${NODE_ADDR}/24`, 'dev', 'eth0');
  node('link', 'set', 'eth0', 'up');
  node('link', 'set', 'eth0p', 'up');
  node('route', 'add', '10.96.0.0/12', 'dev', 'cni0'); // as the lab: a route covering Service IPs
  sh(...IN_NODE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  sh(...IN_NODE, 'sysctl', '-qw', 'net.ipv4.conf.all.route_localnet=1'); // startKubeProxy sets it; Proxier alone does not
  for (const [i, p] of PODS.entries()) {
    sh('ip', 'netns', 'add', p.ns);
    node('link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.ns);
    node('link', 'set', `veth${i}`, 'master', 'cni0', 'up');
    sh('ip', '-n', p.ns, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', p.ns, 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0');
    sh('ip', '-n', p.ns, 'link', 'set', 'eth0', 'up');
    sh('ip', '-n', p.ns, 'route', 'add', 'default', 'via', '10.244.1.1');
    const srv = `require('http').createServer((q,s)=>{s.setHeader('connection','close');s.end('${p.name}')}).listen(8080);`
      + `const u=require('dgram').createSocket('udp4');u.on('message',(m,r)=>u.send('${p.name}',r.port,r.address));u.bind(5353)`;
    servers.push(spawn('ip', ['netns', 'exec', p.ns, process.execPath, '-e', srv], { stdio: 'ignore' }));
  }
  // Wait until both servers answer on their pod IPs.
  for (const p of PODS) {
    for (let i = 0; ; i++) {
      if ((await requests(`http://${p.ip}:8080/`, 1))[0] === p.name) break;
      if (i > 50) throw new Error(`${p.name} never answered`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

after(cleanup);

/** n fresh connections from the node namespace; each answer (or error code) in order. */
async function requests(url: string, n: number): Promise<string[]> {
  const script = `const http=require('http');(async()=>{const out=[];for(let i=0;i<${n};i++){out.push(await new Promise(r=>{`
    + `const q=http.get('${url}',{agent:false,timeout:2000},s=>{let b='';s.on('data',d=>b+=d);s.on('end',()=>r(b))});`
    + `q.on('timeout',()=>{q.destroy();r('TIMEOUT')});q.on('error',e=>r(e.code||'ERR'))}))}console.log(JSON.stringify(out))})()`;
  return JSON.parse(sh(...IN_NODE, process.execPath, '-e', script)) as string[];
}

/** One UDP datagram from a fixed source port (so conntrack sees the same flow every time). */
function udp(ip: string, port: number): string {
  const script = `const u=require('dgram').createSocket('udp4');u.bind(40000,()=>{u.send('x',${port},'${ip}');});`
    + `u.on('message',m=>{console.log(String(m));process.exit(0)});u.on('error',e=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},1500)`;
  return sh(...IN_NODE, process.execPath, '-e', script).trim();
}

const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
const kubeChains = async (ipt: Iptables) => (await ipt.save('nat')).split('\n').filter((l) => /^:KUBE-(SVC|SEP|EXT)-/.test(l)).length;

type Port = { name: string; port: number; targetPort?: number | string; protocol?: 'TCP' | 'UDP'; nodePort?: number };
function service(ports: Port[] = [{ name: 'http', port: 80, targetPort: 8080 }], spec: Partial<NonNullable<Service['spec']>> = {}, name = 'web'): Service {
  return { metadata: { namespace: 'default', name }, spec: { clusterIP: CLUSTER_IP, ports, ...spec } };
}
function slice(ips: string[], notReady: string[] = [], ports: Array<{ name: string; port: number; protocol?: string }> = [{ name: 'http', port: 8080 }], name = 'web'): EndpointSlice {
  return {
    metadata: { namespace: 'default', name: `${name}-x1`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4', ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: [...ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })), ...notReady.map((ip) => ({ addresses: [ip], conditions: { ready: false } }))],
  };
}
function stateFrom(svcs: Service[], slices: EndpointSlice[]): ProxyState {
  const st: ProxyState = { services: new Map() };
  for (const s of svcs) {
    const e = serviceEntry(s, slices.filter((x) => x.metadata!.labels!['kubernetes.io/service-name'] === s.metadata!.name));
    if (e) st.services.set(`default/${s.metadata!.name}`, e);
  }
  return st;
}

for (const mode of ['nft', 'legacy'] as Mode[]) {
  test(`${mode}: ClusterIP balancing, endpoint changes, reject, NodePort, affinity, UDP, repair, cleanup`, { timeout: 120_000 }, async () => {
    const ipt = new Iptables(backendFor(mode), IN_NODE);
    let svcs: Service[] = [service()];
    let slices = [slice(PODS.map((p) => p.ip))];
    const proxier = new Proxier(ipt, { clusterCIDR: '10.244.0.0/16', nodeIp: NODE_ADDR }, () => stateFrom(svcs, slices));
    try {
      const first = await proxier.syncProxyRules();
      assert.equal(first.fullSync, true);
      const answers = count(await requests(`http://${CLUSTER_IP}/`, 20));
      assert.ok((answers['pod-a'] ?? 0) > 0 && (answers['pod-b'] ?? 0) > 0, `both pods answer: ${JSON.stringify(answers)}`);
      assert.equal((answers['pod-a'] ?? 0) + (answers['pod-b'] ?? 0), 20);
      assert.equal(await kubeChains(ipt), 3); // one SVC, two SEP

      slices = [slice([PODS[0].ip], [PODS[1].ip])]; // pod-b not ready
      const second = await proxier.syncProxyRules(['default/web']);
      assert.equal(second.fullSync, false);
      assert.equal(second.stale, 1);
      assert.deepEqual(count(await requests(`http://${CLUSTER_IP}/`, 10)), { 'pod-a': 10 });
      assert.equal(await kubeChains(ipt), 2);

      slices = [slice([], PODS.map((p) => p.ip))]; // nothing ready: rejected at once, not hanging
      await proxier.syncProxyRules(['default/web']);
      const t0 = Date.now();
      assert.deepEqual(await requests(`http://${CLUSTER_IP}/`, 1), ['ECONNREFUSED']);
      assert.ok(Date.now() - t0 < 1500);
      assert.equal(await kubeChains(ipt), 0);

      // NodePort with two ports (one named targetPort), on the node address and on 127.0.0.1.
      svcs = [service([{ name: 'http', port: 80, targetPort: 'web', nodePort: 30080 }, { name: 'alt', port: 81, targetPort: 8080, nodePort: 30081 }], { type: 'NodePort' })];
      slices = [slice(PODS.map((p) => p.ip), [], [{ name: 'http', port: 8080 }, { name: 'alt', port: 8080 }])];
      await proxier.syncProxyRules(['default/web']);
      for (const url of [`http://${NODE_ADDR}:30080/`, `http://127.0.0.1:30081/`, `http://${CLUSTER_IP}:81/`]) {
        const got = count(await requests(url, 10));
        assert.equal((got['pod-a'] ?? 0) + (got['pod-b'] ?? 0), 10, `${url}: ${JSON.stringify(got)}`);
      }
      // Someone deletes our rules: a full resync puts them back.
      sh(...IN_NODE, backendFor(mode).iptables, '-w', '-t', 'nat', '-F', 'KUBE-NODEPORTS');
      assert.deepEqual(await requests(`http://${NODE_ADDR}:30080/`, 1), ['ECONNREFUSED']); // nothing listens on the node itself
      proxier.forceFullSync();
      const repair = await proxier.syncProxyRules();
      assert.equal(repair.fullSync, true);
      // Jump rules are found in the saves, never duplicated by repeated full syncs.
      proxier.forceFullSync();
      await proxier.syncProxyRules();
      assert.equal((await ipt.save('nat')).split('\n').filter((l) => l.includes('"kubernetes service portals"')).length, 2);
      assert.equal((await ipt.save('filter')).split('\n').filter((l) => /^-A (INPUT|FORWARD|OUTPUT) .*-j KUBE-/.test(l)).length, 6);
      assert.match((await requests(`http://${NODE_ADDR}:30080/`, 1))[0], /^pod-[ab]$/);

      // sessionAffinity ClientIP: one client, one pod.
      svcs = [service(undefined, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })];
      slices = [slice(PODS.map((p) => p.ip))];
      await proxier.syncProxyRules(['default/web']);
      assert.equal(Object.keys(count(await requests(`http://${CLUSTER_IP}/`, 12))).length, 1);

      // UDP: the same flow moves to the new endpoint once the old one is gone (conntrack flushed).
      svcs = [service([{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }])];
      slices = [slice([PODS[0].ip], [], [{ name: 'dns', port: 5353, protocol: 'UDP' }])];
      await proxier.syncProxyRules(['default/web']);
      assert.equal(udp(CLUSTER_IP, 53), 'pod-a');
      slices = [slice([PODS[1].ip], [], [{ name: 'dns', port: 5353, protocol: 'UDP' }])];
      const moved = await proxier.syncProxyRules(['default/web']);
      assert.ok(moved.conntrackDeletes >= 1);
      assert.equal(udp(CLUSTER_IP, 53), 'pod-b');

      svcs = [];
      await proxier.syncProxyRules(['default/web']);
      assert.equal(await kubeChains(ipt), 0);
      assert.ok(!(await ipt.save('filter')).includes('default/web'));
    } finally {
      await proxier.cleanupRules();
    }
    const saved = (await ipt.save('nat')) + (await ipt.save('filter'));
    assert.ok(!saved.includes('KUBE-'), `no KUBE- chains or jumps left:\n${saved}`);
  });
}

test('startKubeProxy follows Services and EndpointSlices through informers; /healthz and /metrics', { timeout: 60_000 }, async () => {
  const api = new FakeApi();
  const client = new ApiClient({ server: await api.listen() });
  const ipt = new Iptables(backendFor('nft'), IN_NODE);
  const proxy = await startKubeProxy(client, { nodeName: 'node', nodeIp: NODE_ADDR, commandPrefix: IN_NODE, minSyncIntervalMs: 50, healthzAddress: '127.0.0.1:0', metricsAddress: '' });
  try {
    await proxy.synced(); // the initial (empty) sync
    assert.equal(proxy.health().healthy, true);
    const healthz = await fetch(`http://127.0.0.1:${proxy.ports[0]}/healthz`);
    assert.equal(healthz.status, 200);
    assert.ok('lastUpdated' in (await healthz.json()));
    assert.match(await (await fetch(`http://127.0.0.1:${proxy.ports[0]}/metrics`)).text(), /kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/);
    assert.equal(sh(...IN_NODE, 'sysctl', '-n', 'net.ipv4.conf.all.route_localnet').trim(), '1');
    let synced = proxy.synced();
    api.put('services', service([{ name: 'http', port: 80, targetPort: 'web' }]) as never);
    api.put('endpointslices', slice(PODS.map((p) => p.ip)) as never);
    await synced;
    // Two events may land in two syncs; wait for the endpoints to show up in the rules.
    for (let i = 0; i < 40 && (await kubeChains(ipt)) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const answers = count(await requests(`http://${CLUSTER_IP}/`, 20));
    assert.ok((answers['pod-a'] ?? 0) > 0 && (answers['pod-b'] ?? 0) > 0, `both pods answer: ${JSON.stringify(answers)}`);

    synced = proxy.synced();
    api.put('endpointslices', slice([PODS[1].ip]) as never);
    await synced;
    // The watch event may reach the proxy after the sync awaited above: give it a deadline.
    let only: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      only = count(await requests(`http://${CLUSTER_IP}/`, 10));
      if (!only['pod-a']) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(only, { 'pod-b': 10 });

    synced = proxy.synced();
    api.remove('services', 'default', 'web');
    await synced;
    assert.equal(await kubeChains(ipt), 0);
    assert.equal(proxy.health().healthy, true);
  } finally {
    await proxy.stop();
    await proxy.cleanupRules();
    await api.close();
  }
});
