// The scheduler's volume filters: VolumeBinding (missing claim, unbound claim, claim bound to a
// missing volume, volume node affinity, WaitForFirstConsumer), VolumeRestrictions (ReadWriteOncePod
// in use elsewhere) and VolumeZone, alone and through whole scheduling decisions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { mkNode, mkPod } from './scheduler-fixtures.js';
import { isSuccess, fitErrorMessage, type FilterPlugin, type Status } from '../../control/scheduler/framework.js';
import { VolumeBinding, ERR_BIND_CONFLICT, ERR_UNBOUND, ERR_VOLUME_NODE, ERR_PV_NOT_EXIST, type VolumeLookup } from '../../control/scheduler/plugins/volume-binding.js';
import { VolumeRestrictions, ERR_RWOP_CONFLICT } from '../../control/scheduler/plugins/volume-restrictions.js';
import { VolumeZone, ERR_VOLUME_ZONE } from '../../control/scheduler/plugins/volume-zone.js';
import { defaultProfile } from '../../control/scheduler/plugins/index.js';
import { schedulePod } from '../../control/scheduler/schedule.js';
import type { NodeInfo } from '../../control/scheduler/node-info.js';

const withClaim = (name: string, claim = 'data') => mkPod(name, { spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: claim } }] } });
const lookup = (claims: Record<string, PersistentVolumeClaim>, volumes: Record<string, PersistentVolume> = {}): VolumeLookup =>
  ({ claim: (_ns, n) => claims[n], volume: (n) => volumes[n] });
const nodes = () => [mkNode('n1'), mkNode('n2')];
const filterAll = (p: FilterPlugin, pod: Pod, ns: NodeInfo[]): Status[] => {
  const pre = p.preFilter?.(pod, ns);
  return ns.map((n) => (pre && !isSuccess(pre) ? pre : p.filter(pod, n)));
};
const pinned = (node: string): PersistentVolume => ({ metadata: { name: 'pv1' }, spec: { nodeAffinity: { required: { nodeSelectorTerms: [
  { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } });

test('VolumeBinding: a missing claim fails every node with upstream\'s message, unresolvable', () => {
  const r = filterAll(new VolumeBinding(lookup({})), withClaim('p'), nodes());
  for (const s of r) { assert.equal(s.code, 'UnschedulableAndUnresolvable'); assert.deepEqual(s.reasons, ['persistentvolumeclaim "data" not found']); }
  assert.equal(fitErrorMessage(2, new Map(r.map((s, i) => [`n${i}`, s]))), '0/2 nodes are available: 2 persistentvolumeclaim "data" not found.');
});

test('VolumeBinding: an unbound claim, and a claim bound to a volume that is gone', () => {
  const unbound = filterAll(new VolumeBinding(lookup({ data: { spec: {} } })), withClaim('p'), nodes());
  assert.deepEqual(unbound.map((s) => s.reasons), [[ERR_UNBOUND], [ERR_UNBOUND]]);
  const gone = filterAll(new VolumeBinding(lookup({ data: { spec: { volumeName: 'pv1' } } })), withClaim('p'), nodes());
  assert.deepEqual(gone.map((s) => s.reasons), [[ERR_PV_NOT_EXIST], [ERR_PV_NOT_EXIST]]);
});

test('VolumeBinding: a bound volume\'s node affinity admits only its node; pods without claims are untouched', () => {
  const vb = new VolumeBinding(lookup({ data: { spec: { volumeName: 'pv1' } } }, { pv1: pinned('n2') }));
  const r = filterAll(vb, withClaim('p'), nodes());
  assert.deepEqual(r[0]!.reasons, [ERR_VOLUME_NODE]);
  assert.ok(isSuccess(r[1]!));
  assert.ok(filterAll(vb, mkPod('plain'), nodes()).every(isSuccess));
  const d = schedulePod(withClaim('p'), nodes(), defaultProfile(lookup({ data: { spec: { volumeName: 'pv1' } } }, { pv1: pinned('n2') })));
  assert.equal(d.node, 'n2');
});

test('VolumeRestrictions: a ReadWriteOncePod claim used by a scheduled pod makes the next one unschedulable', () => {
  const claims = { data: { spec: { accessModes: ['ReadWriteOncePod'], volumeName: 'pv1' } }, shared: { spec: { accessModes: ['ReadWriteOnce'], volumeName: 'pv2' } } };
  const vr = new VolumeRestrictions(lookup(claims));
  const ns = nodes();
  assert.ok(filterAll(vr, withClaim('first'), ns).every(isSuccess), 'nobody uses it yet');
  ns[0]!.addPod('default/first', { ...withClaim('first'), spec: { ...withClaim('first').spec!, nodeName: 'n1' } });
  const r = filterAll(vr, withClaim('second'), ns);
  assert.deepEqual(r.map((s) => [s.code, s.reasons]), [['Unschedulable', [ERR_RWOP_CONFLICT]], ['Unschedulable', [ERR_RWOP_CONFLICT]]]);
  // ReadWriteOnce is not restricted here; another namespace's claim of the same name is another claim.
  ns[0]!.addPod('default/s1', { ...withClaim('s1', 'shared'), spec: { ...withClaim('s1', 'shared').spec!, nodeName: 'n1' } });
  assert.ok(filterAll(vr, withClaim('s2', 'shared'), ns).every(isSuccess));
  const other = withClaim('x'); other.metadata!.namespace = 'other';
  assert.ok(filterAll(vr, other, ns).every(isSuccess));
  const d = schedulePod(withClaim('second'), ns, defaultProfile(lookup(claims, { pv1: { spec: {} } })));
  assert.equal(d.node, undefined);
  assert.equal(fitErrorMessage(2, d.statuses), `0/2 nodes are available: 2 ${ERR_RWOP_CONFLICT}.`);
});

test('VolumeBinding: a WaitForFirstConsumer claim fits the nodes that have an available volume for it', () => {
  const local = (name: string, node: string, size = '1Gi'): PersistentVolume => ({ metadata: { name }, spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'local',
    local: { path: '/mnt' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } }, status: { phase: 'Available' } });
  const waiting: PersistentVolumeClaim = { metadata: { name: 'data', namespace: 'default', uid: 'c1' }, spec: { storageClassName: 'local', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  const vols = [local('pv-n2', 'n2')];
  const lk: VolumeLookup = { claim: () => waiting, volume: () => undefined, volumes: () => vols,
    storageClass: (n) => (n === 'local' ? { metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' } : undefined) };
  const r = filterAll(new VolumeBinding(lk), withClaim('p'), nodes());
  assert.deepEqual(r.map((s) => [s.code, s.reasons]), [['UnschedulableAndUnresolvable', [ERR_BIND_CONFLICT]], ['Success', []]]);
  // Two such claims need two volumes on the same node.
  const two = mkPod('p2', { spec: { volumes: [{ name: 'a', persistentVolumeClaim: { claimName: 'data' } }, { name: 'b', persistentVolumeClaim: { claimName: 'data' } }] } });
  assert.ok(!isSuccess(filterAll(new VolumeBinding(lk), two, nodes())[1]!));
  vols.push(local('pv-n2b', 'n2', '2Gi'));
  assert.ok(isSuccess(filterAll(new VolumeBinding(lk), two, nodes())[1]!));
  // An Immediate class (or none) still needs the claim bound first.
  assert.deepEqual(filterAll(new VolumeBinding({ ...lk, storageClass: () => undefined }), withClaim('p'), nodes())[0]!.reasons, [ERR_UNBOUND]);
});

test('VolumeZone: a volume labelled with zones serves only nodes in one of them (GA or beta label)', () => {
  const zoned = (name: string, labels: Record<string, string>) => mkNode(name, { labels });
  const ns = [zoned('a', { 'topology.kubernetes.io/zone': 'z1' }), zoned('b', { 'failure-domain.beta.kubernetes.io/zone': 'z2' }), zoned('c', { 'topology.kubernetes.io/zone': 'z3' }), mkNode('none')];
  const lk = lookup({ data: { spec: { volumeName: 'pv1' } } }, { pv1: { metadata: { name: 'pv1', labels: { 'topology.kubernetes.io/zone': 'z1__z2', other: 'x' } }, spec: {} } });
  const r = filterAll(new VolumeZone(lk), withClaim('p'), ns);
  assert.deepEqual(r.map((s) => s.reasons), [[], [], [ERR_VOLUME_ZONE], [ERR_VOLUME_ZONE]]);
  assert.ok(filterAll(new VolumeZone(lk), mkPod('plain'), ns).every(isSuccess));
});
