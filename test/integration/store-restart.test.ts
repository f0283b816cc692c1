// Data survives restarts, on both backends, through the real `tskube server` and kubectl:
// create, stop the API server (and, on etcd, the etcd member), start them again, read back
// the same object at the same resourceVersion, and keep writing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, startServer, type TestServer } from '../helpers/server.js';
import { haveEtcd, startEtcd, type EtcdCluster } from './etcd-cluster.js';
import Database from 'better-sqlite3';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const serverArgs = (dataDir: string, storage?: string) =>
  ['--data-dir', dataDir, '--disable', 'scheduler,controllers,dns', ...(storage ? ['--storage', storage] : [])];

const cmUrl = (s: TestServer, name = '') => `${s.url}/api/v1/namespaces/default/configmaps${name && '/' + name}`;

async function roundTrip(dataDir: string, storage: string | undefined, restartStore: () => Promise<void>): Promise<void> {
  let s: TestServer = await startServer(serverArgs(dataDir, storage));
  cleanups.push(() => s.stop());
  const res = await fetch(cmUrl(s), { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'survivor' }, data: { k: 'v' } }) });
  assert.equal(res.status, 201, await res.clone().text());
  const created = (await res.json()) as { metadata: { resourceVersion: string } };
  await s.stop();
  await restartStore();
  s = await startServer(serverArgs(dataDir, storage));
  cleanups.push(() => s.stop());
  const got = await kubectl(s.kubeconfig, ['get', 'configmap', 'survivor', '-o', 'jsonpath={.data.k} {.metadata.resourceVersion}']);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.stdout, `v ${created.metadata.resourceVersion}`);
  const patched = await fetch(cmUrl(s, 'survivor'), { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { labels: { after: 'restart' } } }) });
  assert.equal(patched.status, 200, await patched.text());
  const after = (await (await fetch(cmUrl(s, 'survivor'))).json()) as { metadata: { resourceVersion: string; labels: Record<string, string> } };
  assert.equal(after.metadata.labels.after, 'restart');
  assert.ok(Number(after.metadata.resourceVersion) > Number(created.metadata.resourceVersion), 'revisions keep growing after a restart');
  await s.stop();
}

test('sqlite: a configmap survives a restart of tskube server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await roundTrip(dir, undefined, async () => {});
});

test('etcd: a configmap survives a restart of tskube server and of etcd', { skip: !haveEtcd && 'no /usr/bin/etcd (apt-get install etcd-server)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const etcd: EtcdCluster = await startEtcd(1);
  cleanups.push(() => etcd.stop());
  await roundTrip(dir, etcd.url, async () => { await etcd.kill(0); await etcd.start(0); });
});

// Service allocations survive a restart: the reserved cluster IP and node port stay taken.
type Svc = { spec: { clusterIP: string; ports: Array<{ nodePort: number }> } };
const svcUrl = (s: TestServer) => `${s.url}/api/v1/namespaces/default/services`;
async function postSvc(s: TestServer, name: string, spec: object = {}): Promise<Response> {
  return fetch(svcUrl(s), { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80 }], ...spec } }) });
}

/** Creates a NodePort Service, runs `between` with the server stopped, then checks the new server keeps its IP and port taken. */
async function allocationsSurvive(dataDir: string, storage: string | undefined, between: () => Promise<void>): Promise<void> {
  let s = await startServer(serverArgs(dataDir, storage));
  cleanups.push(() => s.stop());
  const res = await postSvc(s, 'first');
  assert.equal(res.status, 201, await res.clone().text());
  const first = (await res.json()) as Svc;
  await s.stop();
  await between();
  s = await startServer(serverArgs(dataDir, storage));
  cleanups.push(() => s.stop());
  const second = await postSvc(s, 'second');
  assert.equal(second.status, 201, await second.clone().text());
  const got = (await second.json()) as Svc;
  assert.notEqual(got.spec.clusterIP, first.spec.clusterIP);
  assert.notEqual(got.spec.ports[0].nodePort, first.spec.ports[0].nodePort);
  const samePort = await postSvc(s, 'same-port', { ports: [{ port: 80, nodePort: first.spec.ports[0].nodePort }] });
  assert.equal(samePort.status, 422);
  assert.match(await samePort.text(), /provided port is already allocated/);
  const sameIP = await postSvc(s, 'same-ip', { clusterIP: first.spec.clusterIP });
  assert.equal(sameIP.status, 422);
  assert.match(await sameIP.text(), /provided IP is already allocated/);
  await s.stop();
}

test('sqlite: a NodePort Service\'s cluster IP and node port stay allocated across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await allocationsSurvive(dir, undefined, async () => {});
});

test('sqlite: a store from before per-value reservations gets them rebuilt from its Services on start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await allocationsSurvive(dir, undefined, async () => {
    const db = new Database(join(dir, 'state.db'));
    const dropped = db.prepare("DELETE FROM kv WHERE key LIKE '/registry/ranges/service%'").run().changes;
    db.close();
    assert.ok(dropped >= 4, `reservation rows removed (${dropped})`);
  });
});

test('etcd: a NodePort Service\'s cluster IP and node port stay allocated across a restart of tskube server and etcd', { skip: !haveEtcd && 'no /usr/bin/etcd (apt-get install etcd-server)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const etcd: EtcdCluster = await startEtcd(1);
  cleanups.push(() => etcd.stop());
  await allocationsSurvive(dir, etcd.url, async () => { await etcd.kill(0); await etcd.start(0); });
});
