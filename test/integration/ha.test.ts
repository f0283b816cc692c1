// HA: two `tskube server` processes on one three-member etcd cluster (all on loopback). A write
// through either is read and watched through the other; with the etcd leader killed, writes
// through both keep succeeding and both servers still agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, waitFor, type TestServer } from '../helpers/server.js';
import { haveEtcd, startEtcd, type EtcdCluster } from './etcd-cluster.js';

const skip = !haveEtcd && 'no /usr/bin/etcd (apt-get install etcd-server)';
let etcd: EtcdCluster;
const servers: TestServer[] = [];

before(async () => {
  if (skip) return;
  etcd = await startEtcd(3);
  // One after the other: the second finds the cluster bootstrapped by the first.
  for (let i = 0; i < 2; i++) servers.push(await startServer(['--storage', etcd.url, '--disable', 'scheduler,controllers,dns']));
});
after(async () => {
  for (const s of servers) await s.stop();
  await etcd?.stop();
});

const cm = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } });
const cms = (s: TestServer) => `${s.url}/api/v1/namespaces/default/configmaps`;
type CM = { metadata: { name: string; resourceVersion: string }; data: { v: string } };

async function post(s: TestServer, name: string, v: string): Promise<CM> {
  const res = await fetch(cms(s), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cm(name, v)) });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json() as Promise<CM>;
}

/** Follows a watch stream, collecting its events. */
function watch(s: TestServer, rv: string) {
  const events: Array<{ type: string; object: CM }> = [];
  const ctl = new AbortController();
  const done = (async () => {
    const res = await fetch(`${cms(s)}?watch=true&resourceVersion=${rv}`, { signal: ctl.signal });
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) { events.push(JSON.parse(buf.slice(0, nl))); buf = buf.slice(nl + 1); }
    }
  })().catch(() => {});
  return { events, stop: () => { ctl.abort(); return done; } };
}

test('a write through one API server is read and watched through the other', { skip }, async () => {
  const [a, b] = servers;
  const list = (await (await fetch(cms(b))).json()) as { metadata: { resourceVersion: string } };
  const w = watch(b, list.metadata.resourceVersion);
  const created = await post(a, 'from-a', '1');
  const read = (await (await fetch(`${cms(b)}/from-a`)).json()) as CM;
  assert.equal(read.data.v, '1');
  assert.equal(read.metadata.resourceVersion, created.metadata.resourceVersion, 'one revision space: etcd\'s');
  await waitFor('the watch on B to see the write through A', () => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'from-a'), 5000, 10);
  // Optimistic concurrency holds across servers: a stale update through A after B wrote fails.
  const viaB = await fetch(`${cms(b)}/from-a`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...read, data: { v: '2' } }) });
  assert.equal(viaB.status, 200);
  const stale = await fetch(`${cms(a)}/from-a`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...created, data: { v: '3' } }) });
  assert.equal(stale.status, 409);
  await w.stop();
});

function leaderIndex(): number {
  const out = execFileSync('etcdctl', ['--endpoints', etcd.endpoints.join(','), 'endpoint', 'status', '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } }).toString();
  const st = JSON.parse(out) as Array<{ Endpoint: string; Status: { header: { member_id: number }; leader: number } }>;
  const leader = st.find((s) => s.Status.header.member_id === s.Status.leader)!;
  return etcd.endpoints.indexOf(leader.Endpoint.replace(/^http:\/\//, ''));
}

test('with the etcd leader killed, writes through both servers continue', { skip }, async () => {
  const [a, b] = servers;
  const killed = leaderIndex();
  assert.ok(killed >= 0);
  await etcd.kill(killed);
  const t0 = Date.now();
  // The first write may wait out an election; every write after it must succeed.
  await waitFor('a write through A after the leader died', async () => {
    const res = await fetch(cms(a), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cm('after-kill-a', '1')) });
    return res.status === 201 || res.status === 409;
  }, 30_000, 200);
  const failover = Date.now() - t0;
  for (let i = 0; i < 20; i++) await post(i % 2 ? a : b, `after-kill-${i}`, String(i));
  const names = async (s: TestServer) => ((await (await fetch(cms(s))).json()) as { items: CM[] }).items.map((c) => c.metadata.name).sort();
  assert.deepEqual(await names(a), await names(b));
  assert.ok((await names(a)).includes('after-kill-19'));
  console.log(`# killed etcd member m${killed} (leader); first write succeeded after ${failover} ms`);
});

// Service IP and NodePort allocation: every value is reserved under its own etcd key, so
// parallel creates — on one server or split across both — never share a cluster IP or node port.
type Svc = { metadata: { name: string }; spec: { clusterIP: string; ports: Array<{ nodePort: number }> } };
const svcs = (s: TestServer) => `${s.url}/api/v1/namespaces/default/services`;
const nodePortSvc = (name: string, nodePort?: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name },
  spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] } });
const postSvc = (s: TestServer, body: object) => fetch(svcs(s), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function createInParallel(targets: TestServer[], prefix: string): Promise<Svc[]> {
  const made = await Promise.all(targets.map((s, i) => Array.from({ length: 100 / targets.length }, async (_, j) => {
    const res = await postSvc(s, nodePortSvc(`${prefix}-${i}-${j}`));
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Svc;
  })).flat());
  const ips = made.map((s) => s.spec.clusterIP);
  const ports = made.map((s) => s.spec.ports[0].nodePort);
  assert.equal(new Set(ips).size, 100, 'every cluster IP distinct');
  assert.equal(new Set(ports).size, 100, `every node port distinct: ${ports.sort().join(',')}`);
  return made;
}

test('100 parallel NodePort Service creates on one API server get distinct cluster IPs and node ports', { skip }, async () => {
  await createInParallel([servers[0]], 'one');
});

test('50 + 50 parallel NodePort Service creates across both API servers get distinct cluster IPs and node ports', { skip }, async () => {
  const both = await createInParallel(servers, 'two');
  const one = ((await (await fetch(svcs(servers[1]))).json()) as { items: Svc[] }).items.filter((s) => s.metadata.name.startsWith('one-'));
  const ports = new Set([...both, ...one].map((s) => s.spec.ports[0].nodePort));
  assert.equal(ports.size, 200, 'no overlap with the earlier batch either');
});

test('a node port is given back on delete, on a type change and by a create that failed', { skip }, async () => {
  const [a, b] = servers;
  const used = new Set(((await (await fetch(svcs(a))).json()) as { items: Svc[] }).items.flatMap((s) => s.spec.ports.map((p) => p.nodePort)));
  const [p1, p2] = Array.from({ length: 100 }, (_, i) => 30000 + i).filter((p) => !used.has(p));
  assert.equal((await postSvc(a, nodePortSvc('keep', p1))).status, 201);
  const taken = await postSvc(b, nodePortSvc('thief', p1));
  assert.equal(taken.status, 422);
  assert.match(((await taken.json()) as { message: string }).message, /provided port is already allocated/);
  // Delete through A, reuse through B.
  assert.equal((await fetch(`${svcs(a)}/keep`, { method: 'DELETE' })).status, 200);
  assert.equal((await postSvc(b, nodePortSvc('reuse', p1))).status, 201);
  // A create refused for its name (AlreadyExists) keeps nothing it reserved.
  const dup = await postSvc(a, nodePortSvc('reuse', p2));
  assert.equal(dup.status, 409, await dup.text());
  assert.equal((await postSvc(a, nodePortSvc('after-failed', p2))).status, 201);
  // NodePort → ClusterIP drops the node port.
  const patched = await fetch(`${svcs(b)}/reuse`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { type: 'ClusterIP', ports: [{ port: 80 }] } }) });
  assert.equal(patched.status, 200, await patched.text());
  assert.equal((await postSvc(a, nodePortSvc('after-type-change', p1))).status, 201);
});
