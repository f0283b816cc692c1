// Controllers and scheduler against a real `tskube server`: fake nodes (no kubelet), a
// Deployment → ReplicaSet → pods spread one/two per worker, scale, rolling update, Service →
// Endpoints, unschedulable pods explained, deletion cleaned up by the garbage collector.
// A tiny fake kubelet in the test marks bound pods Running/Ready and finishes deletions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Endpoints, Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { startServer, kubectl, waitFor, type TestServer } from '../helpers/server.js';

type K<T> = T & KubeObject;
let srv: TestServer;
let client: ApiClient;
let kubelet: NodeJS.Timeout | undefined;
const NODES = ['master', 'worker-1', 'worker-2'];

async function registerNode(name: string): Promise<void> {
  const taints = name === 'master' ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [];
  const labels = { 'kubernetes.io/hostname': name, ...(name === 'master' ? { 'node-role.kubernetes.io/control-plane': '' } : {}) };
  await client.create<K<Node>>(R.nodes, { metadata: { name, labels }, spec: { taints } });
  const res = { cpu: '2', memory: '4Gi', pods: '110' };
  await client.patch(R.nodes, name, undefined, { status: {
    capacity: res, allocatable: res,
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
    addresses: [{ type: 'InternalIP', address: `192.168.56.${10 + NODES.indexOf(name)}` }],
  } }, 'merge', 'status');
}

/** What a kubelet would do, minus containers: bound pods become Running+Ready; deletions finish. */
function startFakeKubelet(): void {
  let ip = 10;
  let busy = false;
  kubelet = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const p of (await client.list<K<Pod>>(R.pods, { namespace: 'default' })).items) {
        const node = p.spec?.nodeName;
        if (!node) continue;
        if (p.metadata?.deletionTimestamp) {
          await client.delete(R.pods, p.metadata.name!, 'default', { gracePeriodSeconds: 0 }).catch(() => {});
        } else if (p.status?.phase !== 'Running') {
          const now = new Date().toISOString();
          await client.updateStatus(R.pods, { ...p, status: {
            ...p.status, phase: 'Running', hostIP: '192.168.56.11', podIP: `10.244.${NODES.indexOf(node)}.${ip++}`, startTime: now,
            conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Initialized', status: 'True' },
              { type: 'ContainersReady', status: 'True', lastTransitionTime: now }, { type: 'Ready', status: 'True', lastTransitionTime: now }],
          } }).catch(() => {});
        }
      }
      for (const name of NODES) { // heartbeat, so node lifecycle keeps them Ready
        const lease = { metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') } };
        await client.create(R.leases, lease as KubeObject).catch(async () => {
          const cur = await client.get<KubeObject>(R.leases, name, 'kube-node-lease');
          await client.update(R.leases, { ...cur, spec: lease.spec } as KubeObject).catch(() => {});
        });
      }
    } catch { /* the next tick retries */ } finally { busy = false; }
  }, 200);
}

before(async () => {
  srv = await startServer();
  client = new ApiClient({ server: srv.url });
  for (const n of NODES) await registerNode(n);
  startFakeKubelet();
});
after(async () => {
  if (kubelet) clearInterval(kubelet);
  await srv?.stop();
});

const podsOf = async (app: string) => (await client.list<K<Pod>>(R.pods, { namespace: 'default', labelSelector: `app=${app}` })).items
  .filter((p) => !p.metadata?.deletionTimestamp);
function perNode(pods: Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pods) out[p.spec?.nodeName ?? '<none>'] = (out[p.spec?.nodeName ?? '<none>'] ?? 0) + 1;
  return out;
}

test('node IPAM gives every node its own /24', async () => {
  const cidrs = await waitFor('pod CIDRs', async () => {
    const nodes = (await client.list<K<Node>>(R.nodes)).items;
    const c = nodes.map((n) => n.spec?.podCIDR);
    return c.length === 3 && c.every(Boolean) ? c : undefined;
  }, 10_000);
  assert.equal(new Set(cidrs).size, 3);
  for (const c of cidrs) assert.match(c!, /^10\.244\.\d+\.0\/24$/);
});

const deployment: K<Deployment> = {
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 2, selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ name: 'http', containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
  },
};

test('Deployment → ReplicaSet → 2 pods, one per worker; scale to 4 → two per worker', async () => {
  const d = await client.create(R.deployments, deployment);
  const rs = await waitFor('ReplicaSet', async () => (await client.list<K<ReplicaSet>>(R.replicasets, { namespace: 'default' })).items[0], 10_000);
  const hash = rs.metadata!.labels!['pod-template-hash']!;
  assert.equal(rs.metadata!.name, `web-${hash}`);
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs.spec!.selector.matchLabels!['pod-template-hash'], hash);
  assert.deepEqual(rs.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
  assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');

  const two = await waitFor('2 bound pods', async () => { const p = await podsOf('web'); return p.length === 2 && p.every((x) => x.spec?.nodeName) ? p : undefined; }, 15_000);
  assert.deepEqual(perNode(two), { 'worker-1': 1, 'worker-2': 1 });
  for (const p of two) {
    assert.match(p.metadata!.name!, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    assert.equal(p.metadata!.ownerReferences![0]!.kind, 'ReplicaSet');
  }
  const events = (await client.list<K<Event>>(R.events, { namespace: 'default' })).items;
  assert.ok(events.some((e) => e.reason === 'Scheduled' && /^Successfully assigned default\/web-.* to worker-\d$/.test(e.message ?? '')));
  assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.source?.component === 'replicaset-controller'));
  assert.ok(events.some((e) => e.reason === 'ScalingReplicaSet'));

  await client.patch(R.deployments, 'web', 'default', { spec: { replicas: 4 } });
  const four = await waitFor('4 bound pods', async () => { const p = await podsOf('web'); return p.length === 4 && p.every((x) => x.spec?.nodeName) ? p : undefined; }, 15_000);
  assert.deepEqual(perNode(four), { 'worker-1': 2, 'worker-2': 2 });

  const status = await waitFor('deployment available', async () => {
    const cur = await client.get<K<Deployment>>(R.deployments, 'web', 'default');
    return cur.status?.availableReplicas === 4 && cur.status.updatedReplicas === 4 && (cur.status.observedGeneration ?? 0) >= (cur.metadata!.generation ?? 0) ? cur.status : undefined;
  }, 15_000);
  assert.equal(status.readyReplicas, 4);
  assert.equal(status.conditions!.find((c) => c.type === 'Available')!.status, 'True');
  assert.equal(status.conditions!.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
  const rollout = await kubectl(srv.kubeconfig, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /successfully rolled out/);
  const get = await kubectl(srv.kubeconfig, ['get', 'deploy', 'web', '--no-headers']);
  assert.match(get.stdout, /^web\s+4\/4\s+4\s+4\s/);
});

test('a Service gets Endpoints with the ready pods on the resolved target port', async () => {
  await client.create(R.services, { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } } as KubeObject);
  const ep = await waitFor('endpoints with 4 addresses', async () => {
    const e = await client.get<K<Endpoints>>(R.endpoints, 'web', 'default').catch(() => undefined);
    return e?.subsets?.[0]?.addresses?.length === 4 ? e : undefined;
  }, 10_000);
  assert.deepEqual(ep.subsets![0]!.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
  for (const a of ep.subsets![0]!.addresses!) {
    assert.equal(a.targetRef?.kind, 'Pod');
    assert.match(a.nodeName!, /^worker-\d$/);
  }
});

test('rolling update: new ReplicaSet takes over, revision 2, old scaled to 0', async () => {
  await client.patch(R.deployments, 'web', 'default', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.26', ports: [{ name: 'http', containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } } });
  const rollout = await kubectl(srv.kubeconfig, ['rollout', 'status', 'deploy/web', '--timeout=30s']);
  assert.equal(rollout.code, 0, rollout.stderr + rollout.stdout);
  const rss = (await client.list<K<ReplicaSet>>(R.replicasets, { namespace: 'default' })).items;
  assert.equal(rss.length, 2);
  const byRev = Object.fromEntries(rss.map((r) => [r.metadata!.annotations!['deployment.kubernetes.io/revision'], r]));
  assert.equal(byRev['2']!.spec!.replicas, 4);
  assert.equal(byRev['1']!.spec!.replicas, 0);
  const d = await client.get<K<Deployment>>(R.deployments, 'web', 'default');
  assert.equal(d.metadata!.annotations!['deployment.kubernetes.io/revision'], '2');
  const pods = await waitFor('4 new pods', async () => { const p = await podsOf('web'); return p.length === 4 && p.every((x) => x.spec!.containers[0]!.image === 'nginx:1.26') ? p : undefined; }, 15_000);
  assert.deepEqual(perNode(pods), { 'worker-1': 2, 'worker-2': 2 });
});

test('kubectl rollout undo brings revision 1\'s ReplicaSet back as revision 3', async () => {
  const undo = await kubectl(srv.kubeconfig, ['rollout', 'undo', 'deploy/web']);
  assert.equal(undo.code, 0, undo.stderr);
  const rollout = await kubectl(srv.kubeconfig, ['rollout', 'status', 'deploy/web', '--timeout=30s']);
  assert.equal(rollout.code, 0, rollout.stderr + rollout.stdout);
  const rss = (await client.list<K<ReplicaSet>>(R.replicasets, { namespace: 'default' })).items;
  assert.equal(rss.length, 2); // the old ReplicaSet is reused, not a third one made
  const cur = rss.find((r) => r.spec!.replicas === 4)!;
  assert.equal(cur.spec!.template!.spec!.containers[0]!.image, 'nginx:1.25');
  assert.equal(cur.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
  const history = await kubectl(srv.kubeconfig, ['rollout', 'history', 'deploy/web']);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /^2\s/m);
  assert.match(history.stdout, /^3\s/m);
});

test('a pod that fits nowhere is Unschedulable with upstream\'s message', async () => {
  await client.create(R.pods, { metadata: { name: 'huge', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '64' } } }] } } as KubeObject);
  const cond = await waitFor('PodScheduled=False', async () => {
    const p = await client.get<K<Pod>>(R.pods, 'huge', 'default');
    return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  }, 10_000);
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.');
  const events = (await client.list<K<Event>>(R.events, { namespace: 'default' })).items;
  assert.ok(events.some((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && e.involvedObject.name === 'huge'));
  await client.delete(R.pods, 'huge', 'default');
});

test('a pod parked for Insufficient cpu is bound as soon as a pod on the node goes away (no 60 s flush)', async () => {
  const pod = (name: string, cpu: string, node?: string) => ({ metadata: { name, namespace: 'default', labels: { app: 'hog' } },
    spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }] } }) as KubeObject;
  // Each worker has 2 cpu: fill both, so a 1500m pod fits nowhere.
  await client.create(R.pods, pod('hog-1', '1800m', 'worker-1'));
  await client.create(R.pods, pod('hog-2', '1800m', 'worker-2'));
  await client.create(R.pods, pod('waiter', '1500m'));
  await waitFor('waiter parked', async () => (await client.get<K<Pod>>(R.pods, 'waiter', 'default')).status?.conditions
    ?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && /2 Insufficient cpu/.test(c.message ?? '')), 10_000);
  const deleted = Date.now();
  await client.delete(R.pods, 'hog-2', 'default', { gracePeriodSeconds: 0 });
  const p = await waitFor('waiter bound', async () => { const w = await client.get<K<Pod>>(R.pods, 'waiter', 'default'); return w.spec?.nodeName ? w : undefined; }, 10_000, 50);
  assert.equal(p.spec?.nodeName, 'worker-2');
  assert.ok(Date.now() - deleted < 10_000);
  for (const n of ['hog-1', 'waiter']) await client.delete(R.pods, n, 'default', { gracePeriodSeconds: 0 });
  await waitFor('hog pods gone', async () => (await podsOf('hog')).length === 0, 10_000);
});

test('deleting the Service removes its Endpoints; deleting the Deployment removes ReplicaSets and pods', async () => {
  await client.delete(R.services, 'web', 'default');
  await waitFor('endpoints gone', async () => client.get(R.endpoints, 'web', 'default').then(() => false, (e) => isNotFound(e)), 10_000);
  await client.delete(R.deployments, 'web', 'default', { propagationPolicy: 'Background' });
  await waitFor('replicasets gone', async () => (await client.list(R.replicasets, { namespace: 'default' })).items.length === 0, 15_000);
  await waitFor('pods gone', async () => (await client.list(R.pods, { namespace: 'default' })).items.length === 0, 15_000);
});
