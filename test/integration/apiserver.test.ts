// The API server against the real kubectl: apply/get/scale/delete, Table columns, watch,
// and bad input answered with metav1.Status errors while nothing is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, kubectl, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => { srv = await startServer(['--disable', 'scheduler,controllers']); });
after(async () => { await srv?.stop(); });

const k = (...args: string[]) => kubectl(srv.kubeconfig, args);
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 80}]}
`;

test('kubectl apply, get (Table), scale, re-apply, delete', async () => {
  const applied = await kubectl(srv.kubeconfig, ['apply', '-f', '-'], deployment);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /deployment.apps\/web created/);
  const get = await k('get', 'deploy,svc', '-o', 'wide');
  assert.match(get.stdout, /NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
  assert.match(get.stdout, /service\/web\s+ClusterIP\s+10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+\s+<none>\s+80\/TCP/);
  const again = await kubectl(srv.kubeconfig, ['apply', '-f', '-'], deployment);
  assert.match(again.stdout, /deployment.apps\/web unchanged/);
  assert.equal((await k('scale', 'deploy/web', '--replicas=4')).code, 0);
  const replicas = await k('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}');
  assert.equal(replicas.stdout, '4 2');
  const del = await k('delete', 'deploy/web', 'svc/web');
  assert.equal(del.code, 0, del.stderr);
  assert.match((await k('get', 'deploy', 'web')).stderr, /deployments.apps "web" not found/);
});

test('ClusterIPs are unique and a taken address is refused', async () => {
  const mk = (name: string, ip?: string) => kubectl(srv.kubeconfig, ['create', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...(ip ? { clusterIP: ip } : {}) } }));
  assert.equal((await mk('a', '10.96.5.5')).code, 0);
  const taken = await mk('b', '10.96.5.5');
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /already allocated/);
  assert.match((await k('get', 'svc', 'b')).stderr, /not found/);
  await k('delete', 'svc', 'a');
});

test('bad input: malformed manifest, invalid names, stale update → Status errors, nothing stored', async () => {
  const bad = await kubectl(srv.kubeconfig, ['create', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c' }] } }));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /is invalid/);
  assert.match(bad.stderr, /spec\.containers\[0\]\.image: Required value/);
  assert.equal((await k('get', 'pods', '-o', 'name')).stdout.trim(), '');

  const raw = await fetch(`${srv.url}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(raw.status, 400);
  assert.equal((await raw.json()).kind, 'Status');

  const cm = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const created = await (await fetch(`${srv.url}/api/v1/namespaces/default/pods`, { method: 'POST', body: JSON.stringify(cm) })).json();
  const put = (rv: string) => fetch(`${srv.url}/api/v1/namespaces/default/pods/p`, { method: 'PUT', body: JSON.stringify({ ...created, metadata: { ...created.metadata, labels: { x: rv }, resourceVersion: rv } }) });
  assert.equal((await put(created.metadata.resourceVersion)).status, 200);
  const stale = await put(created.metadata.resourceVersion);
  assert.equal(stale.status, 409);
  assert.match((await stale.json()).message, /the object has been modified/);
  const ns = await fetch(`${srv.url}/api/v1/namespaces/nope/pods`, { method: 'POST', body: JSON.stringify(cm) });
  assert.equal(ns.status, 404);
  await k('delete', 'pod', 'p', '--grace-period=0', '--force');
});

test('watch streams ADDED/MODIFIED/DELETED from a resourceVersion', async () => {
  const list = await (await fetch(`${srv.url}/api/v1/namespaces/default/pods`)).json();
  const ac = new AbortController();
  const res = await fetch(`${srv.url}/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  await fetch(`${srv.url}/api/v1/namespaces/default/pods`, { method: 'POST', body: JSON.stringify(pod) });
  await fetch(`${srv.url}/api/v1/namespaces/default/pods/w`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"metadata":{"labels":{"a":"b"}}}' });
  await fetch(`${srv.url}/api/v1/namespaces/default/pods/w`, { method: 'DELETE' });
  const types: string[] = [];
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += Buffer.from(chunk).toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) if (l.trim()) types.push(JSON.parse(l).type);
    if (types.length >= 3) break;
  }
  ac.abort();
  assert.deepEqual(types, ['ADDED', 'MODIFIED', 'DELETED']);
});

test('a large list is one valid JSON body (written in chunks); selectors apply; a bad selector is a 400 Status', async () => {
  const ns = 'default';
  const make = (i: number) => fetch(`${srv.url}/api/v1/namespaces/${ns}/configmaps`, { method: 'POST',
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `many-${i}`, labels: { many: 'yes', odd: String(i % 2 === 1) } }, data: { blob: 'x'.repeat(400) } }) });
  for (let i = 0; i < 300; i += 30) {
    const codes = await Promise.all(Array.from({ length: 30 }, (_, j) => make(i + j).then((r) => r.status)));
    assert.deepEqual([...new Set(codes)], [201]);
  }
  const res = await fetch(`${srv.url}/api/v1/namespaces/${ns}/configmaps?labelSelector=many%3Dyes`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const list = JSON.parse(await res.text());
  assert.equal(list.kind, 'ConfigMapList');
  assert.equal(list.apiVersion, 'v1');
  assert.match(list.metadata.resourceVersion, /^\d+$/);
  assert.equal(list.items.length, 300);
  assert.ok(list.items.every((o: { kind: string; apiVersion: string; metadata: { resourceVersion: string } }) =>
    o.kind === 'ConfigMap' && o.apiVersion === 'v1' && Number(o.metadata.resourceVersion) <= Number(list.metadata.resourceVersion)));
  const odd = await (await fetch(`${srv.url}/api/v1/namespaces/${ns}/configmaps?labelSelector=odd%3Dtrue`)).json();
  assert.equal(odd.items.length, 150);
  const empty = await (await fetch(`${srv.url}/api/v1/namespaces/${ns}/configmaps?labelSelector=nothing%3Dhere`)).json();
  assert.deepEqual(empty.items, []);
  const bad = await fetch(`${srv.url}/api/v1/namespaces/${ns}/configmaps?labelSelector=%3D%3Dx`);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).kind, 'Status');
  const del = await fetch(`${srv.url}/api/v1/namespaces/${ns}/configmaps?labelSelector=many%3Dyes`, { method: 'DELETE' });
  assert.equal(del.status, 200);
});
