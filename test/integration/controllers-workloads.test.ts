// The controllers issue 5 adds, against a real `tskube server` (its scheduler) with fake nodes and
// a fake kubelet; the controller manager runs in this process with lab-short timings:
// namespace deletion, default ServiceAccounts, ResourceQuota usage, DaemonSet, Job, StatefulSet,
// and node-lifecycle eviction of pods from a node that went silent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Deployment, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Namespace, Node, Pod, ResourceQuota, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { W } from '../../control/controllers/util/resources.js';
import { startControllers, type ControllerManager } from '../../control/controllers/index.js';
import { startServer, kubectl, waitFor, type TestServer } from '../helpers/server.js';
import { EXIT_ANNOTATION, FakeKubelet, registerNode } from './controllers-fake-cluster.js';

type K<T> = T & KubeObject;
let srv: TestServer;
let client: ApiClient;
let cm: ControllerManager;
let kubelet: FakeKubelet;
const NODES = ['master', 'worker-1', 'worker-2'];
const k = (...args: string[]) => kubectl(srv.kubeconfig, args);

before(async () => {
  srv = await startServer(['--disable', 'controllers,dns']);
  client = new ApiClient({ server: srv.url });
  for (const [i, n] of NODES.entries()) {
    await registerNode(client, { name: n, taints: n === 'master' ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [] }, i);
  }
  kubelet = new FakeKubelet(client, [...NODES, 'worker-3']).start();
  cm = await startControllers(client, {
    healthPort: -1, leaderElect: false, job: { backoffBaseMs: 100 },
    nodeLifecycle: { gracePeriodSeconds: 3, monitorPeriodSeconds: 1, defaultTolerationSeconds: 2 },
  });
});
after(async () => {
  kubelet?.stop();
  await cm?.stop();
  await srv?.stop();
});

const live = async (ns: string, selector: string) => (await client.list<K<Pod>>(R.pods, { namespace: ns, labelSelector: selector })).items
  .filter((p) => !p.metadata?.deletionTimestamp);
const nodesOf = (pods: Pod[]) => pods.map((p) => p.spec?.nodeName ?? '<none>').sort();

test('every namespace gets a default ServiceAccount; a deleted namespace is emptied, then removed', async () => {
  await client.create<K<Namespace>>(R.namespaces, { metadata: { name: 'team' } });
  await waitFor('default SA in team', () => client.get<K<ServiceAccount>>(W.serviceaccounts, 'default', 'team').catch(() => undefined), 10_000);
  await waitFor('default SA in default', () => client.get<K<ServiceAccount>>(W.serviceaccounts, 'default', 'default').catch(() => undefined), 10_000);
  await client.create(W.configmaps, { metadata: { name: 'cfg', namespace: 'team' }, data: { a: '1' } } as KubeObject);
  await client.create(R.deployments, { metadata: { name: 'app', namespace: 'team' }, spec: { replicas: 2, selector: { matchLabels: { app: 'a' } },
    template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } } as KubeObject);
  await waitFor('2 team pods running', async () => (await live('team', 'app=a')).filter((p) => p.status?.phase === 'Running').length === 2, 15_000);

  const del = await k('delete', 'namespace', 'team', '--wait=false');
  assert.equal(del.code, 0, del.stderr);
  const ns = await client.get<K<Namespace>>(R.namespaces, 'team');
  assert.equal(ns.status?.phase, 'Terminating');
  await waitFor('namespace team gone', () => client.get(R.namespaces, 'team').then(() => false, isNotFound), 30_000, 250);
  for (const r of [R.pods, R.deployments, R.replicasets, W.configmaps, W.serviceaccounts]) {
    assert.equal((await client.list(r, { namespace: 'team' })).items.length, 0, `${r.resource} left in team`);
  }
});

test('ResourceQuota status.used counts pods, cpu/memory requests and limits, and objects', async () => {
  await client.create<K<ResourceQuota>>(W.resourcequotas, { metadata: { name: 'q', namespace: 'default' }, spec: { hard: {
    pods: '10', 'requests.cpu': '2', 'requests.memory': '1Gi', 'limits.memory': '2Gi', 'count/deployments.apps': '5', configmaps: '4',
  } } });
  await client.create(W.configmaps, { metadata: { name: 'c1', namespace: 'default' } } as KubeObject);
  for (const name of ['q1', 'q2']) {
    await client.create(R.pods, { metadata: { name, namespace: 'default', labels: { quota: 'yes' } }, spec: { containers: [{ name: 'c', image: 'nginx',
      resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } } }] } } as KubeObject);
  }
  const used = await waitFor('quota usage', async () => {
    const q = await client.get<K<ResourceQuota>>(W.resourcequotas, 'q', 'default');
    return q.status?.used?.pods === '2' && q.status.used.configmaps === '1' ? q.status : undefined;
  }, 20_000, 250);
  assert.deepEqual(used.used, { pods: '2', 'requests.cpu': '500m', 'requests.memory': '128Mi', 'limits.memory': '256Mi', 'count/deployments.apps': '0', configmaps: '1' });
  assert.equal(used.hard?.pods, '10');
  for (const name of ['q1', 'q2']) await client.delete(R.pods, name, 'default', { gracePeriodSeconds: 0 });
  await client.delete(W.configmaps, 'c1', 'default');
  await client.delete(W.resourcequotas, 'q', 'default');
});

const ds: K<DaemonSet> = {
  metadata: { name: 'agent', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
};

test('DaemonSet: one pod per eligible worker (not the tainted master), follows nodes joining and leaving', async () => {
  await client.create(W.daemonsets, ds);
  const pods = await waitFor('a daemon pod on each worker', async () => { const p = await live('default', 'app=agent'); return p.length === 2 && p.every((x) => x.spec?.nodeName) && p; }, 15_000);
  assert.deepEqual(nodesOf(pods), ['worker-1', 'worker-2']);
  const aff = pods[0]!.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchFields![0]!;
  assert.equal(aff.key, 'metadata.name');
  assert.ok(pods[0]!.spec!.tolerations!.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));
  const status = await waitFor('ds status', async () => { const d = await client.get<K<DaemonSet>>(W.daemonsets, 'agent', 'default'); return d.status?.numberReady === 2 && d.status; }, 10_000);
  assert.equal(status.desiredNumberScheduled, 2);
  assert.equal(status.updatedNumberScheduled, 2);
  const rs = await k('rollout', 'status', 'ds/agent', '--timeout=20s');
  assert.equal(rs.code, 0, rs.stderr);

  await registerNode(client, { name: 'worker-3' }, 3);
  await waitFor('a daemon pod on worker-3', async () => nodesOf(await live('default', 'app=agent')).includes('worker-3'), 15_000);
  await client.delete(R.nodes, 'worker-3');
  await waitFor('worker-3 pod gone', async () => !nodesOf(await live('default', 'app=agent')).includes('worker-3'), 15_000);

  // A nodeSelector narrows it to labelled nodes.
  await client.patch(W.daemonsets, 'agent', 'default', { spec: { template: { spec: { nodeSelector: { disk: 'ssd' } } } } });
  await client.patch(R.nodes, 'worker-1', undefined, { metadata: { labels: { disk: 'ssd' } } });
  await waitFor('only worker-1 runs it', async () => { const n = nodesOf(await live('default', 'app=agent')); return n.length === 1 && n[0] === 'worker-1'; }, 15_000);
});

test('Job: completions with parallelism reach Complete; a failing Job stops at backoffLimit; a deadline fails it', async () => {
  const job = (name: string, exit: string | undefined, spec: Partial<Job['spec']>): K<Job> => ({
    metadata: { name, namespace: 'default' },
    spec: { ...spec, template: { metadata: exit === undefined ? {} : { annotations: { [EXIT_ANNOTATION]: exit } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  await client.create(W.jobs, job('ok', '0', { completions: 3, parallelism: 2 }));
  await client.create(W.jobs, job('bad', '1', { backoffLimit: 1 }));
  await client.create(W.jobs, job('slow', undefined, { activeDeadlineSeconds: 2 }));
  const ok = await waitFor('job ok Complete', async () => { const j = await client.get<K<Job>>(W.jobs, 'ok', 'default'); return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') && j; }, 30_000, 250);
  assert.equal(ok.status!.succeeded, 3);
  assert.ok(ok.status!.completionTime);
  const get = await k('get', 'jobs', 'ok', '--no-headers');
  assert.match(get.stdout, /^ok\s+Complete\s+3\/3\s/);

  const bad = await waitFor('job bad Failed', async () => { const j = await client.get<K<Job>>(W.jobs, 'bad', 'default'); return j.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True') && j; }, 30_000, 250);
  assert.equal(bad.status!.conditions!.find((c) => c.type === 'Failed')!.reason, 'BackoffLimitExceeded');
  assert.equal(bad.status!.failed, 2);
  const slow = await waitFor('job slow Failed', async () => { const j = await client.get<K<Job>>(W.jobs, 'slow', 'default'); return j.status?.conditions?.find((c) => c.type === 'Failed') && j; }, 20_000, 250);
  assert.equal(slow.status!.conditions!.find((c) => c.type === 'Failed')!.reason, 'DeadlineExceeded');
  await waitFor('slow job pod deleted', async () => (await live('default', 'job-name=slow')).length === 0, 10_000);
});

test('StatefulSet: web-0, web-1, web-2 started in order, each after the previous is Ready; scaled down in reverse', async () => {
  const added: Array<{ name: string; at: number }> = [];
  const readyAt = new Map<string, number>();
  const w = client.watch<K<Pod>>(R.pods, { namespace: 'default', labelSelector: 'app=web' }, (type, p) => {
    if (type === 'ADDED') added.push({ name: p.metadata!.name!, at: Date.now() });
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !readyAt.has(p.metadata!.name!)) readyAt.set(p.metadata!.name!, Date.now());
  });
  w.done.catch(() => {});
  const sts: K<StatefulSet> = { metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3, serviceName: 'web', selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
  await client.create(W.statefulsets, sts);
  const rs = await k('rollout', 'status', 'sts/web', '--timeout=30s');
  assert.equal(rs.code, 0, rs.stderr + rs.stdout);
  assert.deepEqual(added.map((a) => a.name), ['web-0', 'web-1', 'web-2']);
  for (let i = 1; i < 3; i++) assert.ok(added[i]!.at >= readyAt.get(`web-${i - 1}`)!, `web-${i} created before web-${i - 1} was Ready`);
  const p0 = await client.get<K<Pod>>(R.pods, 'web-0', 'default');
  assert.equal(p0.spec?.hostname, 'web-0');
  assert.equal(p0.spec?.subdomain, 'web');
  assert.equal(p0.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');

  const deleted: string[] = [];
  const w2 = client.watch<K<Pod>>(R.pods, { namespace: 'default', labelSelector: 'app=web' }, (type, p) => { if (type === 'DELETED') deleted.push(p.metadata!.name!); });
  w2.done.catch(() => {});
  const scale = await k('scale', 'sts/web', '--replicas=1');
  assert.equal(scale.code, 0, scale.stderr);
  await waitFor('one member left', async () => (await client.list(R.pods, { namespace: 'default', labelSelector: 'app=web' })).items.length === 1, 20_000);
  assert.deepEqual(deleted, ['web-2', 'web-1']);
  w.stop(); w2.stop();
});

test('node lifecycle: a silent node turns Unknown, is tainted unreachable, and its pods are evicted and replaced', async () => {
  const dep: K<Deployment> = { metadata: { name: 'evict', namespace: 'default' }, spec: { replicas: 4, selector: { matchLabels: { app: 'evict' } },
    template: { metadata: { labels: { app: 'evict' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
  await client.create(R.deployments, dep);
  await waitFor('2+2 running', async () => { const p = await live('default', 'app=evict'); return p.length === 4 && p.every((x) => x.status?.phase === 'Running'); }, 20_000);
  kubelet.dead.add('worker-2');
  const node = await waitFor('worker-2 tainted unreachable', async () => {
    const n = await client.get<K<Node>>(R.nodes, 'worker-2');
    return n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') && n;
  }, 20_000, 250);
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'Unknown');
  const moved = await waitFor('4 pods on worker-1', async () => { const p = await live('default', 'app=evict'); return p.length === 4 && p.every((x) => x.spec?.nodeName === 'worker-1') && p; }, 30_000, 250);
  assert.equal(moved.length, 4);
  await kubelet.revive('worker-2');
  await waitFor('worker-2 untainted', async () => !(await client.get<K<Node>>(R.nodes, 'worker-2')).spec?.taints?.length, 20_000, 250);
});
