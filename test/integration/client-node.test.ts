// @kubernetes/client-node against tskube: its CoreV1Api CRUD and its informer (list + watch,
// relist after a 410 Expired) see what kubectl users see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startServer, waitFor, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => { srv = await startServer(['--disable', 'scheduler,controllers,dns']); });
after(async () => { await srv?.stop(); });

function clients() {
  const kc = new k8s.KubeConfig();
  // client-node 2 refuses plain http unless told; TLS comes with issue 7.
  kc.loadFromOptions({
    clusters: [{ name: 't', server: srv.url, skipTLSVerify: true }],
    users: [{ name: 't' }],
    contexts: [{ name: 't', cluster: 't', user: 't' }],
    currentContext: 't',
  });
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api) };
}

test('CoreV1Api: create, read, list with a label selector, conflict on a stale update, delete', async () => {
  const { core } = clients();
  const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cfg', labels: { app: 'x' } }, data: { a: '1' } } });
  assert.ok(created.metadata?.uid);
  const read = await core.readNamespacedConfigMap({ name: 'cfg', namespace: 'default' });
  assert.equal(read.data?.a, '1');
  const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=x' });
  assert.deepEqual(list.items.map((c) => c.metadata?.name), ['cfg']);
  await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'default', body: { ...read, data: { a: '2' } } });
  await assert.rejects(core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'default', body: { ...read, data: { a: '3' } } }), (e: any) => e.code === 409);
  await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: 'default' });
  await assert.rejects(core.readNamespacedConfigMap({ name: 'cfg', namespace: 'default' }), (e: any) => e.code === 404);
});

test('informer: add, update, delete events and a cache that follows the server', async () => {
  const { kc, core } = clients();
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const seen: string[] = [];
  informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => seen.push(`update ${o.metadata?.name}=${(o as k8s.V1ConfigMap).data?.v}`));
  informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
  await informer.start();
  try {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf' }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'inf', namespace: 'default', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'inf', namespace: 'default' });
    await waitFor('informer events', () => seen.includes('delete inf'), 10_000);
    assert.deepEqual(seen.filter((s) => s.includes('inf')), ['add inf', 'update inf=2', 'delete inf']);
    assert.equal(informer.get('inf', 'default'), undefined);
  } finally {
    await informer.stop();
  }
});
