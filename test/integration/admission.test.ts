// Admission plugins the seed notes name, through the real API: NamespaceLifecycle,
// ServiceAccount, ResourceQuota (403 with upstream's message), LimitRanger, AlwaysPullImages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let strict: TestServer;
before(async () => {
  srv = await startServer(['--disable', 'scheduler,controllers,dns']);
  strict = await startServer(['--disable', 'scheduler,controllers,dns', '--enable-admission-plugins', 'AlwaysPullImages']);
});
after(async () => { await srv?.stop(); await strict?.stop(); });

const post = (s: TestServer, path: string, body: unknown) => fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const pod = (name: string, resources?: object, image = 'busybox:1.36') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image, ...(resources ? { resources } : {}) }] } });

test('ServiceAccount: pods run as the default service account', async () => {
  const res = await post(srv, '/api/v1/namespaces/default/pods', pod('sa'));
  assert.equal(res.status, 201);
  assert.equal((await res.json()).spec.serviceAccountName, 'default');
});

test('ResourceQuota: the third pod over pods=2 is refused with 403 and nothing is stored', async () => {
  await post(srv, '/api/v1/namespaces', { metadata: { name: 'quota' } });
  assert.equal((await post(srv, '/api/v1/namespaces/quota/resourcequotas', { metadata: { name: 'compute' }, spec: { hard: { pods: '2', 'requests.cpu': '1' } } })).status, 201);
  assert.equal((await post(srv, '/api/v1/namespaces/quota/pods', pod('a', { requests: { cpu: '300m' } }))).status, 201);
  assert.equal((await post(srv, '/api/v1/namespaces/quota/pods', pod('b', { requests: { cpu: '300m' } }))).status, 201);
  const third = await post(srv, '/api/v1/namespaces/quota/pods', pod('c', { requests: { cpu: '100m' } }));
  assert.equal(third.status, 403);
  const st = await third.json();
  assert.equal(st.kind, 'Status');
  assert.equal(st.message, 'pods "c" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');
  assert.equal((await fetch(`${srv.url}/api/v1/namespaces/quota/pods/c`)).status, 404);
});

test('LimitRanger: default requests/limits filled in; over max refused', async () => {
  await post(srv, '/api/v1/namespaces', { metadata: { name: 'limits' } });
  await post(srv, '/api/v1/namespaces/limits/limitranges', { metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', default: { memory: '256Mi' }, defaultRequest: { memory: '64Mi' }, max: { memory: '1Gi' } }] } });
  const ok = await (await post(srv, '/api/v1/namespaces/limits/pods', pod('d'))).json();
  assert.deepEqual(ok.spec.containers[0].resources, { limits: { memory: '256Mi' }, requests: { memory: '64Mi' } });
  const big = await post(srv, '/api/v1/namespaces/limits/pods', pod('big', { limits: { memory: '2Gi' } }));
  assert.equal(big.status, 403);
  assert.match((await big.json()).message, /maximum memory usage per Container is 1Gi, but limit is 2Gi/);
});

test('NamespaceLifecycle: no content in a missing or terminating namespace; system namespaces stay', async () => {
  assert.equal((await post(srv, '/api/v1/namespaces/ghost/pods', pod('x'))).status, 404);
  await post(srv, '/api/v1/namespaces', { metadata: { name: 'going' } });
  assert.equal((await fetch(`${srv.url}/api/v1/namespaces/going`, { method: 'DELETE' })).status, 200);
  const refused = await post(srv, '/api/v1/namespaces/going/pods', pod('y'));
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).message, /because it is being terminated/);
  assert.equal((await fetch(`${srv.url}/api/v1/namespaces/kube-system`, { method: 'DELETE' })).status, 403);
});

test('AlwaysPullImages (enabled by flag) forces imagePullPolicy Always', async () => {
  const p = { ...pod('pull'), spec: { containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }] } };
  assert.equal((await (await post(strict, '/api/v1/namespaces/default/pods', p)).json()).spec.containers[0].imagePullPolicy, 'Always');
  assert.equal((await (await post(srv, '/api/v1/namespaces/default/pods', p)).json()).spec.containers[0].imagePullPolicy, 'IfNotPresent');
});
