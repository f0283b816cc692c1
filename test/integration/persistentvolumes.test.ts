// PersistentVolumes end to end through a real `tskube server` (its controllers and scheduler) on
// fake nodes: kubectl creates volumes and a claim, the binder binds the smallest fit, kubectl's
// Table shows upstream's columns; the scheduler holds a pod with a missing or unbound claim with
// upstream's message and places it once the claim binds, on the node a local volume names; a
// deleted claim leaves its volume Released (Retain) or removes it (Delete); a StatefulSet's
// volumeClaimTemplates give each member its own claim; a claim in use is protected from deletion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound, type ApiClient, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { waitFor } from '../helpers/server.js';
import { startFakeCluster, type FakeCluster } from './fake-cluster-server.js';

type K<T> = T & KubeObject;
let cluster: FakeCluster;
let client: ApiClient;
const k = (...args: string[]) => cluster.kubectl(args);
const kubectlIn = (args: string[], input: string) => cluster.kubectl(args, input);

before(async () => { cluster = await startFakeCluster(['worker-1', 'worker-2']); client = cluster.client; });
after(async () => { await cluster?.stop(); });

const pvYaml = (name: string, size: string, extra = '') => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: ${size}}
  accessModes: [ReadWriteOnce]
${extra || `  hostPath: {path: /tmp/tskube-pv/${name}}`}
`;
const pvcYaml = (name: string, size: string, extra = '') => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ${size}}}
${extra}`;
const podWith = (name: string, claim: string): K<Pod> => ({ metadata: { name, namespace: 'default' }, spec: {
  containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
  volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] } });

async function apply(yaml: string): Promise<void> {
  const r = await kubectlIn(['apply', '-f', '-'], yaml);
  assert.equal(r.code, 0, r.stderr);
}
const claim = (name: string) => client.get<K<PersistentVolumeClaim>>(R.persistentvolumeclaims, name, 'default');
const volume = (name: string) => client.get<K<PersistentVolume>>(R.persistentvolumes, name);
/** Gomega's Consistently: the condition holds at every poll for `ms`. */
async function consistently(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until;) {
    assert.ok(await fn(), `${what}: no longer true`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const scheduledMessage = async (name: string) => (await client.get<K<Pod>>(R.pods, name, 'default')).status?.conditions?.find((c) => c.type === 'PodScheduled');

test('a claim binds to the smallest volume that fits; kubectl get pv,pvc prints upstream\'s columns', async () => {
  await apply([pvYaml('pv-big', '10Gi'), pvYaml('pv-small', '1Gi'), pvYaml('pv-tiny', '100Mi'), pvcYaml('data', '500Mi')].join('---\n'));
  const c = await waitFor('claim data Bound', async () => { const x = await claim('data'); return x.status?.phase === 'Bound' && x; });
  assert.equal(c.spec?.volumeName, 'pv-small');
  assert.equal(c.status?.capacity?.storage, '1Gi');
  assert.equal(c.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
  const v = await waitFor('pv-small Bound', async () => { const x = await volume('pv-small'); return x.status?.phase === 'Bound' && x; });
  assert.equal(v.spec?.claimRef?.uid, c.metadata?.uid);
  await waitFor('pv-big Available', async () => (await volume('pv-big')).status?.phase === 'Available');
  const r = await k('get', 'pv,pvc');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/);
  assert.match(r.stdout, /persistentvolume\/pv-small\s+1Gi\s+RWO\s+Retain\s+Bound\s+default\/data\s/);
  assert.match(r.stdout, /persistentvolume\/pv-big\s+10Gi\s+RWO\s+Retain\s+Available\s/);
  assert.match(r.stdout, /NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE/);
  assert.match(r.stdout, /persistentvolumeclaim\/data\s+Bound\s+pv-small\s+1Gi\s+RWO\s/);
});

test('bad volumes and claim edits are refused with upstream\'s field errors', async () => {
  const noSource = await kubectlIn(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: bad}\nspec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce]}\n');
  assert.notEqual(noSource.code, 0);
  assert.match(noSource.stderr, /spec: Required value: must specify a volume type/);
  const edit = await k('patch', 'pvc', 'data', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}');
  assert.notEqual(edit.code, 0);
  assert.match(edit.stderr, /spec is immutable after creation except resources.requests/);
});

test('a pod with a missing claim waits with upstream\'s message, and is scheduled once the claim binds', async () => {
  await client.create(R.pods, podWith('needs-late', 'late'));
  const cond = await waitFor('PodScheduled=False', async () => { const c = await scheduledMessage('needs-late'); return c?.status === 'False' && c; });
  assert.equal(cond.message, '0/2 nodes are available: 2 persistentvolumeclaim "late" not found.');
  // A claim that cannot bind yet: the message changes to the unbound one.
  await apply(pvcYaml('late', '3Gi', '  storageClassName: local-storage\n'));
  await waitFor('unbound message', async () => (await scheduledMessage('needs-late'))?.message === '0/2 nodes are available: 2 pod has unbound immediate PersistentVolumeClaims.');
  // A local volume pinned to worker-2 arrives: the claim binds, the pod follows the volume.
  await apply(pvYaml('pv-local', '5Gi', `  storageClassName: local-storage
  local: {path: /mnt/disks/ssd1}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [worker-2]}]}]`));
  const pod = await waitFor('pod scheduled', async () => { const p = await client.get<K<Pod>>(R.pods, 'needs-late', 'default'); return p.spec?.nodeName ? p : undefined; }, 30_000);
  assert.equal(pod.spec?.nodeName, 'worker-2');
  assert.equal((await claim('late')).spec?.volumeName, 'pv-local');
});

test('a deleted claim releases its volume (Retain), or deletes it (Delete on hostPath)', async () => {
  await apply([pvYaml('pv-gone', '2Gi', '  persistentVolumeReclaimPolicy: Delete\n  hostPath: {path: /tmp/tskube-pv/gone}'), pvcYaml('scratch', '2Gi')].join('---\n'));
  await waitFor('scratch Bound', async () => (await claim('scratch')).spec?.volumeName === 'pv-gone');
  assert.equal((await k('delete', 'pvc', 'data', 'scratch')).code, 0);
  await waitFor('pv-small Released', async () => (await volume('pv-small')).status?.phase === 'Released');
  await waitFor('pv-gone deleted', () => volume('pv-gone').then(() => false, (err) => isNotFound(err)));
  const r = await k('get', 'pv', 'pv-small');
  assert.match(r.stdout, /pv-small\s+1Gi\s+RWO\s+Retain\s+Released\s+default\/data\s/);
});

test('a StatefulSet\'s volumeClaimTemplates give each member its own bound claim, kept across restarts and scale-down', async () => {
  await apply([pvYaml('sts-a', '1Gi', '  storageClassName: sts\n  hostPath: {path: /tmp/tskube-pv/sts-a}'), pvYaml('sts-b', '1Gi', '  storageClassName: sts\n  hostPath: {path: /tmp/tskube-pv/sts-b}'), `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: d, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], storageClassName: sts, resources: {requests: {storage: 1Gi}}}
`].join('---\n'));
  const pods = await waitFor('both members Running', async () => {
    const ps = await Promise.all(['db-0', 'db-1'].map((n) => client.get<K<Pod>>(R.pods, n, 'default').catch(() => undefined)));
    return ps.every((p) => p?.status?.phase === 'Running') && ps as K<Pod>[];
  }, 30_000);
  for (const [i, p] of pods.entries()) assert.deepEqual(p.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: `data-db-${i}` });
  const c0 = await waitFor('data-db-0 Bound', async () => { const c = await claim('data-db-0'); return c.status?.phase === 'Bound' && c; });
  assert.equal(c0.metadata?.labels?.app, 'db');
  const vol0 = c0.spec?.volumeName;
  assert.ok(vol0 === 'sts-a' || vol0 === 'sts-b');
  // Scale down: the member goes, its claim stays bound for when it comes back.
  assert.equal((await k('scale', 'statefulset', 'db', '--replicas=1')).code, 0);
  await waitFor('db-1 gone', () => client.get(R.pods, 'db-1', 'default').then(() => false, (e) => isNotFound(e)));
  assert.equal((await claim('data-db-1')).status?.phase, 'Bound');
  assert.equal((await claim('data-db-0')).spec?.volumeName, vol0);
});

test('in-use protection: a claim a running pod uses stays Terminating until the pod is gone; a Bound volume too', async () => {
  const c = await claim('late');
  assert.deepEqual(c.metadata?.finalizers, ['kubernetes.io/pvc-protection']);
  assert.deepEqual((await volume('pv-local')).metadata?.finalizers, ['kubernetes.io/pv-protection']);
  assert.equal((await k('delete', 'pvc', 'late', '--wait=false')).code, 0);
  assert.equal((await k('delete', 'pv', 'pv-local', '--wait=false')).code, 0);
  await waitFor('claim Terminating', async () => (await k('get', 'pvc', 'late')).stdout.match(/late\s+Terminating\s+pv-local\s/));
  // Consistently held for a second: the pod needs-late runs on the claim, the volume is Bound to it.
  await consistently('claim and volume held', async () => !!(await claim('late')).metadata?.deletionTimestamp && (await volume('pv-local')).status?.phase === 'Bound', 1000);
  assert.equal((await k('delete', 'pod', 'needs-late')).code, 0);
  await waitFor('claim gone', () => claim('late').then(() => false, (e) => isNotFound(e)));
  await waitFor('volume Released, then gone', () => volume('pv-local').then(() => false, (e) => isNotFound(e)));
});

test('persistentVolumeClaimRetentionPolicy Delete: claims go with a scaled-away member and with the set', async () => {
  await apply(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache}
spec:
  serviceName: cache
  replicas: 2
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: c, image: busybox}]}
  volumeClaimTemplates:
  - metadata: {name: scratch}
    spec: {accessModes: [ReadWriteOnce], storageClassName: none, resources: {requests: {storage: 1Gi}}}
`);
  const c1 = await waitFor('claim of member 1', () => claim('scratch-cache-1').catch(() => undefined));
  assert.deepEqual(c1.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name}`), ['StatefulSet/cache']);
  assert.equal((await k('scale', 'statefulset', 'cache', '--replicas=1')).code, 0);
  await waitFor('scratch-cache-1 deleted with its member', () => claim('scratch-cache-1').then(() => false, (e) => isNotFound(e)), 30_000);
  assert.ok(await claim('scratch-cache-0'));
  assert.equal((await k('delete', 'statefulset', 'cache')).code, 0);
  await waitFor('scratch-cache-0 deleted with the set', () => claim('scratch-cache-0').then(() => false, (e) => isNotFound(e)), 30_000);
});

test('WaitForFirstConsumer: the claim waits for its pod, then binds to the local volume on the node the pod goes to', async () => {
  const localPv = (name: string, node: string) => pvYaml(name, '1Gi', `  storageClassName: local-wait
  local: {path: /mnt/disks/${name}}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${node}]}]}]`);
  await apply([`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-wait
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
`, localPv('w1-disk', 'worker-1'), localPv('w2-disk', 'worker-2'), pvcYaml('wait', '1Gi', '  storageClassName: local-wait\n')].join('---\n'));
  const sc = await k('get', 'sc');
  assert.match(sc.stdout, /NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE/);
  assert.match(sc.stdout, /local-wait \(default\)\s+kubernetes.io\/no-provisioner\s+Delete\s+WaitForFirstConsumer\s+false\s/);
  // No consumer yet: Pending, and an event says why.
  await waitFor('WaitForFirstConsumer event', async () => (await k('describe', 'pvc', 'wait')).stdout.includes('waiting for first consumer to be created before binding'));
  assert.equal((await claim('wait')).spec?.volumeName, undefined);
  const p = podWith('consumer', 'wait');
  p.spec!.nodeSelector = { 'kubernetes.io/hostname': 'worker-2' };
  await client.create(R.pods, p);
  const pod = await waitFor('consumer scheduled', async () => { const x = await client.get<K<Pod>>(R.pods, 'consumer', 'default'); return x.spec?.nodeName ? x : undefined; }, 30_000);
  assert.equal(pod.spec?.nodeName, 'worker-2');
  const c = await claim('wait');
  assert.equal(c.status?.phase, 'Bound', 'bound before the pod was');
  assert.equal(c.spec?.volumeName, 'w2-disk');
  assert.equal((await volume('w1-disk')).status?.phase, 'Available');
});

test('pre-binding: a volume reserved for a claim by claimRef goes to it; a claim naming a too-small volume says why', async () => {
  await apply([pvYaml('reserved', '5Gi', `  storageClassName: pre
  claimRef: {namespace: default, name: mine}
  hostPath: {path: /tmp/tskube-pv/reserved}`), pvYaml('cheap', '1Gi', '  storageClassName: pre\n  hostPath: {path: /tmp/tskube-pv/cheap}'),
  pvcYaml('mine', '1Gi', '  storageClassName: pre\n'), pvcYaml('picky', '3Gi', '  storageClassName: pre\n  volumeName: cheap\n')].join('---\n'));
  const mine = await waitFor('mine Bound', async () => { const c = await claim('mine'); return c.status?.phase === 'Bound' && c; });
  assert.equal(mine.spec?.volumeName, 'reserved', 'the reserved volume, not the smaller free one');
  assert.equal((await volume('reserved')).spec?.claimRef?.uid, mine.metadata?.uid);
  await waitFor('VolumeMismatch event', async () => (await k('describe', 'pvc', 'picky')).stdout.includes('Cannot bind to requested volume "cheap": requested PV is too small'));
  assert.equal((await claim('picky')).status?.phase, 'Pending');
  assert.equal((await volume('cheap')).status?.phase, 'Available');
});
