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
