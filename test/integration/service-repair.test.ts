// The Service allocation repair loop (control/api/resources/service-repair.ts) on real stores:
// a cluster IP left reserved by an API server that died before storing its Service is freed
// after three checks (never on the first, so a create in flight keeps its value), and a
// Service whose reservation key went missing gets it back. On etcd through `tskube server`,
// etcdctl and kubectl; on SQLite at the store level, check by check.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, startServer, waitFor, type TestServer } from '../helpers/server.js';
import { haveEtcd, startEtcd, type EtcdCluster } from './etcd-cluster.js';
import { openStore, type Backend } from '../../control/store/index.js';
import { Store } from '../../control/api/storage.js';
import { ServiceAllocationRepair, checksBeforeRelease } from '../../control/api/resources/service-repair.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const ghost = (uid: string) => JSON.stringify({ namespace: 'default', name: 'ghost', uid });

test('sqlite: a leaked reservation is a suspect twice and freed on the third check; a held one is never touched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-repair-'));
  const backend: Backend = openStore(`sqlite://${join(dir, 'state.db')}`);
  cleanups.push(async () => { await backend.close(); rmSync(dir, { recursive: true, force: true }); });
  const store = new Store(backend);
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'u-web' },
    spec: { clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50'], ports: [{ port: 80, nodePort: 30080 }] } };
  await store.create({ resource: 'services', namespaced: true }, svc);
  await backend.create('/registry/ranges/serviceips/10.96.0.50', JSON.stringify({ namespace: 'default', name: 'web', uid: 'u-web' }));
  await backend.create('/registry/ranges/serviceips/10.96.0.77', ghost('u-ghost'));

  const repair = new ServiceAllocationRepair(store);
  for (let i = 1; i < checksBeforeRelease; i++) {
    const r = await repair.runOnce();
    assert.deepEqual(r.suspected, ['/registry/ranges/serviceips/10.96.0.77'], `check ${i}: a suspect, not freed`);
    assert.ok(await backend.get('/registry/ranges/serviceips/10.96.0.77'));
  }
  // The Service's node port had no key (a store from before it, or a lost write): reserved again.
  assert.deepEqual((await repair.runOnce()).released, ['/registry/ranges/serviceips/10.96.0.77']);
  assert.equal(await backend.get('/registry/ranges/serviceips/10.96.0.77'), undefined);
  assert.equal(JSON.parse((await backend.get('/registry/ranges/serviceips/10.96.0.50'))!.value).uid, 'u-web');
  assert.equal(JSON.parse((await backend.get('/registry/ranges/servicenodeports/30080'))!.value).uid, 'u-web');

  // A key rewritten between checks (someone else took the value) starts counting again.
  await backend.create('/registry/ranges/serviceips/10.96.0.78', ghost('u-1'));
  await repair.runOnce();
  const cur = (await backend.get('/registry/ranges/serviceips/10.96.0.78'))!;
  await backend.update(cur.key, ghost('u-2'), cur.modRevision);
  assert.deepEqual((await repair.runOnce()).suspected, ['/registry/ranges/serviceips/10.96.0.78']);
  assert.deepEqual((await repair.runOnce()).suspected, ['/registry/ranges/serviceips/10.96.0.78'], 'two checks at the new revision');
  assert.deepEqual((await repair.runOnce()).released, ['/registry/ranges/serviceips/10.96.0.78']);
});

test('etcd: an IP a dead API server left reserved is refused, then freed by the repair loop; a deleted key comes back', { skip: !haveEtcd && 'no /usr/bin/etcd (apt-get install etcd-server)' }, async () => {
  const etcd: EtcdCluster = await startEtcd(1);
  cleanups.push(() => etcd.stop());
  const s: TestServer = await startServer(['--storage', etcd.url, '--disable', 'scheduler,controllers,dns', '--service-allocation-repair-interval', '2s']);
  cleanups.push(() => s.stop());
  const etcdctl = (...args: string[]) => execFileSync('etcdctl', ['--endpoints', etcd.endpoints.join(','), ...args], { encoding: 'utf8' });

  // What a crash between reserving 10.96.0.77 and storing its Service leaves behind.
  etcdctl('put', '/registry/ranges/serviceips/10.96.0.77', ghost('dead-beef'));
  // Checks every 2 s: the third one after the put is 4–6 s away, so kubectl is refused first.
  const refused = await kubectl(s.kubeconfig, ['create', 'service', 'clusterip', 'web', '--clusterip', '10.96.0.77', '--tcp', '80:8080']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /already allocated/);
  await waitFor('the repair loop to free 10.96.0.77', () => !etcdctl('get', '/registry/ranges/serviceips/10.96.0.77', '--print-value-only').includes('dead-beef'), 20_000, 100);
  const created = await kubectl(s.kubeconfig, ['create', 'service', 'clusterip', 'web', '--clusterip', '10.96.0.77', '--tcp', '80:8080']);
  assert.equal(created.code, 0, created.stderr);
  const uid = (await kubectl(s.kubeconfig, ['get', 'service', 'web', '-o', 'jsonpath={.metadata.uid}'])).stdout;
  await waitFor('10.96.0.77 reserved for web', () => etcdctl('get', '/registry/ranges/serviceips/10.96.0.77', '--print-value-only').includes(uid), 15_000, 100);

  // A reservation key lost while its Service lives: the loop writes it again.
  etcdctl('del', '/registry/ranges/serviceips/10.96.0.77');
  await waitFor('the repair loop to reserve 10.96.0.77 for web again', () => etcdctl('get', '/registry/ranges/serviceips/10.96.0.77', '--print-value-only').includes(uid), 15_000, 100);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /apiserver_service_allocation_repairs_total\{result="reserved"\} [1-9]/);
});
