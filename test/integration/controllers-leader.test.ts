// Leader election and status endpoints with real processes: two controller managers and two
// schedulers on one API server → one leader each (kube-system Leases); kill -9 the leaders →
// the standbys take over within 15 s and keep working. A second scheduler by name binds only
// the pods that name it. `tskube server` serves /healthz and /metrics, and `kubectl get cs`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { startServer, kubectl, repoRoot, waitFor, type TestServer } from '../helpers/server.js';
import { registerNode } from './controllers-fake-cluster.js';

type K<T> = T & KubeObject;
let srv: TestServer;
let client: ApiClient;
const procs: ChildProcess[] = [];

interface Proc { p: ChildProcess; out: () => string }
function tskube(...args: string[]): Proc {
  const p = spawn(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'info' } });
  let out = '';
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { out += d; });
  procs.push(p);
  return { p, out: () => out };
}
const identityOf = (proc: Proc) => /"identity":"([^"]+)","msg":"became leader"/.exec(proc.out())?.[1];
const holder = async (name: string) => (await client.get<K<Lease>>(R.leases, name, 'kube-system').catch(() => undefined))?.spec?.holderIdentity;

before(async () => {
  srv = await startServer(['--disable', 'scheduler,controllers,dns']);
  client = new ApiClient({ server: srv.url });
  for (const [i, n] of ['worker-1', 'worker-2'].entries()) await registerNode(client, { name: n }, i);
});
after(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  await srv?.stop();
});

test('two controller managers and two schedulers: one leader each; kill -9 the leaders, the standbys take over within 15 s', async () => {
  const cms = [0, 1].map(() => tskube('controller-manager', '--server', srv.url, '--port=-1'));
  const scheds = [0, 1].map(() => tskube('scheduler', '--server', srv.url, '--port=-1'));
  const cmLeader = await waitFor('a controller-manager leader', async () => { const h = await holder('kube-controller-manager'); return (h && cms.find((c) => identityOf(c) === h)) || undefined; }, 20_000);
  const schedLeader = await waitFor('a scheduler leader', async () => { const h = await holder('kube-scheduler'); return (h && scheds.find((c) => identityOf(c) === h)) || undefined; }, 20_000);
  await new Promise((r) => setTimeout(r, 3000)); // standbys keep retrying and stay standbys
  assert.equal(cms.filter((c) => identityOf(c)).length, 1, 'exactly one controller manager leads');
  assert.equal(scheds.filter((c) => identityOf(c)).length, 1, 'exactly one scheduler leads');

  const t0 = Date.now();
  cmLeader.p.kill('SIGKILL');
  schedLeader.p.kill('SIGKILL');
  const cmStandby = cms.find((c) => c !== cmLeader)!, schedStandby = scheds.find((c) => c !== schedLeader)!;
  await Promise.all([
    waitFor('standby controller manager leads', () => identityOf(cmStandby), 20_000),
    waitFor('standby scheduler leads', () => identityOf(schedStandby), 20_000),
  ]);
  const took = Date.now() - t0;
  console.log(`takeover after kill -9: ${took} ms`);
  assert.ok(took <= 15_000, `takeover took ${took} ms`);
  assert.equal(await holder('kube-controller-manager'), identityOf(cmStandby));

  // The new leaders work: a Deployment gets its pods, bound to workers.
  await client.create(R.deployments, { metadata: { name: 'after', namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app: 'after' } },
    template: { metadata: { labels: { app: 'after' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } } as KubeObject);
  await waitFor('2 bound pods', async () => (await client.list<K<Pod>>(R.pods, { namespace: 'default', labelSelector: 'app=after' })).items.filter((p) => p.spec?.nodeName).length === 2, 20_000);
});

test('a second scheduler by name binds only the pods that name it', async () => {
  await client.create(R.pods, { metadata: { name: 'picky', namespace: 'default' }, spec: { schedulerName: 'my-scheduler', containers: [{ name: 'c', image: 'nginx' }] } } as KubeObject);
  await new Promise((r) => setTimeout(r, 1500));
  const before = await client.get<K<Pod>>(R.pods, 'picky', 'default');
  assert.equal(before.spec?.nodeName, undefined, 'default-scheduler left it alone');
  tskube('scheduler', '--server', srv.url, '--scheduler-name', 'my-scheduler', '--port=-1');
  const bound = await waitFor('picky bound', async () => { const p = await client.get<K<Pod>>(R.pods, 'picky', 'default'); return p.spec?.nodeName ? p : undefined; }, 20_000);
  assert.match(bound.spec!.nodeName!, /^worker-\d$/);
  const ev = await waitFor('Scheduled event', async () => (await client.list<K<Event>>(R.events, { namespace: 'default' })).items.find((e) => e.reason === 'Scheduled' && e.involvedObject.name === 'picky'), 5000);
  assert.equal(ev.source?.component, 'my-scheduler');
});

test('tskube server: kubectl get cs shows scheduler and controller-manager Healthy; /metrics served', async (t) => {
  const full = await startServer();
  t.after(() => full.stop());
  const busy = await fetch('http://127.0.0.1:10259/healthz').then(() => true, () => false);
  const cs = await waitFor('components healthy', async () => {
    const r = await kubectl(full.kubeconfig, ['get', 'cs', '--no-headers']);
    return /^scheduler\s+Healthy/m.test(r.stdout) && /^controller-manager\s+Healthy/m.test(r.stdout) && r.stdout;
  }, 20_000, 250);
  assert.match(cs, /^sqlite-0\s+Healthy/m);
  const metrics = await (await fetch('http://127.0.0.1:10259/metrics')).text();
  if (!busy) assert.match(metrics, /scheduler_schedule_attempts_total|leader_election_master_status/);
  const cmMetrics = await (await fetch('http://127.0.0.1:10257/metrics')).text();
  assert.match(cmMetrics, /workqueue_depth|leader_election_master_status/);
});
