// kube-proxy against a real kernel: a "node" network namespace with a bridge and two "pod"
// namespaces each running an HTTP server that answers its own name. Rules are applied in the
// node namespace; requests to the cluster IP must reach both pods. Needs root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../control/client/api-client.js';
import { startKubeProxy } from '../../agent/proxy/index.js';
import { Iptables } from '../../agent/proxy/iptables/exec.js';
import { Proxier } from '../../agent/proxy/iptables/proxier.js';
import { detectBackend } from '../../agent/proxy/iptables/wrapper.js';
import { buildProxyState } from '../../agent/proxy/service-model.js';
import { FakeApi } from './proxy-fake-api.js';

const NODE = 'tskube-pt-node';
const PODS = [{ ns: 'tskube-pt-a', name: 'pod-a', ip: '10.244.1.2' }, { ns: 'tskube-pt-b', name: 'pod-b', ip: '10.244.1.3' }];
const IN_NODE = ['ip', 'netns', 'exec', NODE];
const CLUSTER_IP = '10.96.100.10';
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
  node('route', 'add', '10.96.0.0/12', 'dev', 'cni0'); // as the lab: a route covering Service IPs
  sh(...IN_NODE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  for (const [i, p] of PODS.entries()) {
    sh('ip', 'netns', 'add', p.ns);
    node('link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.ns);
    node('link', 'set', `veth${i}`, 'master', 'cni0', 'up');
    sh('ip', '-n', p.ns, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', p.ns, 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0');
    sh('ip', '-n', p.ns, 'link', 'set', 'eth0', 'up');
    sh('ip', '-n', p.ns, 'route', 'add', 'default', 'via', '10.244.1.1');
    const srv = `require('http').createServer((q,s)=>{s.setHeader('connection','close');s.end('${p.name}')}).listen(8080)`;
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

const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
const kubeChains = async (ipt: Iptables) => (await ipt.save('nat')).split('\n').filter((l) => /^:KUBE-(SVC|SEP)-/.test(l)).length;

function service(ports = [{ name: 'http', port: 80, targetPort: 8080 as number | string }]): Service {
  return { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: CLUSTER_IP, ports } };
}
function endpoints(ips: string[], notReady: string[] = []): Endpoints {
  return {
    metadata: { namespace: 'default', name: 'web' },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), notReadyAddresses: notReady.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080 }] }],
  };
}

test('rendered rules balance a ClusterIP over both pods, follow endpoint changes, and go away', { timeout: 60_000 }, async () => {
  const ipt = new Iptables(await detectBackend(IN_NODE), IN_NODE);
  let svcs: Service[] = [service()];
  let eps = endpoints(PODS.map((p) => p.ip));
  const proxier = new Proxier(ipt, { clusterCIDR: '10.244.0.0/16', nodeIp: '10.244.1.1' }, () => buildProxyState(svcs, () => eps));

  const first = await proxier.syncProxyRules();
  assert.equal(first.fullSync, true);
  const answers = count(await requests(`http://${CLUSTER_IP}/`, 20));
  assert.ok((answers['pod-a'] ?? 0) > 0 && (answers['pod-b'] ?? 0) > 0, `both pods answer: ${JSON.stringify(answers)}`);
  assert.equal((answers['pod-a'] ?? 0) + (answers['pod-b'] ?? 0), 20);
  assert.equal(await kubeChains(ipt), 3); // one SVC, two SEP

  eps = endpoints([PODS[0].ip], [PODS[1].ip]); // pod-b not ready
  const second = await proxier.syncProxyRules();
  assert.equal(second.fullSync, false);
  assert.equal(second.stale, 1);
  assert.deepEqual(count(await requests(`http://${CLUSTER_IP}/`, 10)), { 'pod-a': 10 });
  assert.equal(await kubeChains(ipt), 2);

  eps = endpoints([]); // nothing ready: rejected at once, not hanging
  await proxier.syncProxyRules();
  const t0 = Date.now();
  assert.deepEqual(await requests(`http://${CLUSTER_IP}/`, 1), ['ECONNREFUSED']);
  assert.ok(Date.now() - t0 < 1500);
  assert.equal(await kubeChains(ipt), 0);

  svcs = [];
  await proxier.syncProxyRules();
  assert.ok(!(await ipt.save('filter')).includes('default/web'));
  await proxier.cleanupRules();
  const saved = (await ipt.save('nat')) + (await ipt.save('filter'));
  assert.ok(!saved.includes('KUBE-'), `no KUBE- chains or jumps left:\n${saved}`);
});

test('startKubeProxy follows Services and Endpoints through informers', { timeout: 60_000 }, async () => {
  const api = new FakeApi();
  const client = new ApiClient({ server: await api.listen() });
  const ipt = new Iptables(await detectBackend(IN_NODE), IN_NODE);
  const proxy = await startKubeProxy(client, { nodeName: 'node', nodeIp: '10.244.1.1', commandPrefix: IN_NODE, minSyncIntervalMs: 50 });
  try {
    await proxy.synced(); // the initial (empty) sync
    let synced = proxy.synced();
    api.put('services', service([{ name: 'http', port: 80, targetPort: 'web' }]) as never);
    api.put('endpoints', endpoints(PODS.map((p) => p.ip)) as never);
    await synced;
    // Two events may land in two syncs; wait for the endpoints to show up in the rules.
    for (let i = 0; i < 20 && (await kubeChains(ipt)) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const answers = count(await requests(`http://${CLUSTER_IP}/`, 20));
    assert.ok((answers['pod-a'] ?? 0) > 0 && (answers['pod-b'] ?? 0) > 0, `both pods answer: ${JSON.stringify(answers)}`);

    synced = proxy.synced();
    api.put('endpoints', endpoints([PODS[1].ip]) as never);
    await synced;
    assert.deepEqual(count(await requests(`http://${CLUSTER_IP}/`, 10)), { 'pod-b': 10 });

    synced = proxy.synced();
    api.remove('services', 'default', 'web');
    await synced;
    assert.equal(await kubeChains(ipt), 0);
  } finally {
    await proxy.stop();
    await proxy.cleanupRules();
    await api.close();
  }
});
