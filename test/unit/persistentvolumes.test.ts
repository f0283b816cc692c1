// PersistentVolumes and claims: the API's defaults, validation and kubectl columns, and the
// binder's choice of volume for a claim (smallest fit, class, modes, selector, pre-binding).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { persistentvolumes as pvDef, persistentvolumeclaims as pvcDef } from '../../control/api/resources/volumes.js';
import { toTable } from '../../control/api/table.js';
import { findBestMatch, mismatch } from '../../control/controllers/persistentvolume/binder.js';

type O = Record<string, any>;
const pv = (name: string, size: string, extra: O = {}): O => ({ metadata: { name }, spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/data/${name}` }, ...extra }, status: { phase: 'Available' } });
const pvc = (size: string, extra: O = {}): O => ({ metadata: { name: 'data', namespace: 'default', uid: 'u1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...extra } });
const fields = (causes: Array<{ field?: string; message?: string }>) => causes.map((c) => `${c.field}: ${c.message}`);

test('defaults: Retain and Filesystem; created Pending with the in-use protection finalizer', () => {
  const o = pv('a', '1Gi');
  pvDef.defaults!(o);
  assert.equal(o.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.equal(o.spec.volumeMode, 'Filesystem');
  pvDef.beforeCreate!(o, {} as never);
  assert.equal(o.status.phase, 'Pending');
  assert.deepEqual(o.metadata.finalizers, ['kubernetes.io/pv-protection']);
  const c = pvc('1Gi');
  pvcDef.beforeCreate!(c, {} as never);
  assert.deepEqual([c.status.phase, c.metadata.finalizers], ['Pending', ['kubernetes.io/pvc-protection']]);
});

test('PV validation: capacity, access modes and exactly one volume source', () => {
  assert.deepEqual(pvDef.validate!(pv('ok', '1Gi')), []);
  const bad = pvDef.validate!({ metadata: { name: 'x' }, spec: { accessModes: ['ReadWriteSometimes'] } });
  assert.deepEqual(fields(bad), [
    'spec.accessModes[0]: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    'spec.capacity[storage]: Required value',
    'spec: Required value: must specify a volume type',
  ]);
  const two = pvDef.validate!(pv('two', '1Gi', { nfs: { server: 'x', path: '/' } }));
  assert.match(fields(two).join(), /may not specify more than 1 volume type/);
  const local = pvDef.validate!({ metadata: { name: 'l' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], local: { path: '/mnt' } } });
  assert.deepEqual(fields(local), ['spec.nodeAffinity: Required value: Local volumes require node affinity']);
  const moved = pvDef.validate!(pv('ok', '1Gi', { hostPath: { path: '/elsewhere' } }), pv('ok', '1Gi'));
  assert.match(fields(moved).join(), /spec.persistentvolumesource is immutable after creation/);
});

test('PVC validation: requests and modes required; spec immutable except a growing request on a bound claim; volumeName set once', () => {
  assert.deepEqual(fields(pvcDef.validate!({ metadata: { name: 'c' }, spec: {} })), [
    'spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources.requests[storage]: Required value']);
  const old = pvc('1Gi');
  assert.match(fields(pvcDef.validate!(pvc('1Gi', { accessModes: ['ReadWriteMany'] }), old)).join(), /spec is immutable after creation except resources.requests/);
  assert.match(fields(pvcDef.validate!(pvc('2Gi'), old)).join(), /spec is immutable/, 'growing needs a bound claim');
  assert.deepEqual(pvcDef.validate!(pvc('2Gi'), { ...old, status: { phase: 'Bound' } }), []);
  assert.match(fields(pvcDef.validate!(pvc('500Mi'), { ...old, status: { phase: 'Bound' } })).join(), /field can not be less than previous value/);
  assert.deepEqual(pvcDef.validate!(pvc('1Gi', { volumeName: 'pv1' }), old), [], 'binding sets volumeName');
  assert.match(fields(pvcDef.validate!(pvc('1Gi', { volumeName: 'pv2' }), pvc('1Gi', { volumeName: 'pv1' }))).join(), /spec is immutable/);
});

test('kubectl columns: PV and PVC rows as upstream prints them', () => {
  const v = pv('small', '1Gi', { accessModes: ['ReadOnlyMany', 'ReadWriteOnce'], claimRef: { namespace: 'default', name: 'data' }, persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'manual' });
  v.status.phase = 'Bound';
  const t = toTable(pvDef, [v], '1');
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode']);
  assert.deepEqual(t.rows[0]!.cells.slice(0, 9), ['small', '1Gi', 'RWO,ROX', 'Retain', 'Bound', 'default/data', 'manual', '<unset>', '']);
  const c = pvc('500Mi', { volumeName: 'small' });
  c.status = { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] };
  const ct = toTable(pvcDef, [c, pvc('1Gi')], '1');
  assert.deepEqual(ct.columnDefinitions.map((x) => x.name), ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode']);
  assert.deepEqual(ct.rows[0]!.cells.slice(0, 7), ['data', 'Bound', 'small', '1Gi', 'RWO', '', '<unset>']);
  assert.deepEqual(ct.rows[1]!.cells.slice(2, 5), ['', '', ''], 'an unbound claim shows no volume, capacity or modes');
});

test('binder: the smallest Available volume that fits, with matching class, modes and selector', () => {
  const vols = [pv('big', '10Gi'), pv('small', '1Gi'), pv('tiny', '100Mi'), pv('mid', '2Gi'), pv('fast', '1Gi', { storageClassName: 'fast' }),
    pv('rwx', '1Gi', { accessModes: ['ReadWriteMany'] }), pv('new', '1Gi')] as PersistentVolume[];
  (vols[6] as O).status = { phase: 'Pending' };
  const pick = (c: O) => findBestMatch(c as PersistentVolumeClaim, vols)?.metadata?.name;
  assert.equal(pick(pvc('500Mi')), 'small');
  assert.equal(pick(pvc('1500Mi')), 'mid');
  assert.equal(pick(pvc('500Mi', { storageClassName: 'fast' })), 'fast');
  assert.equal(pick(pvc('500Mi', { accessModes: ['ReadWriteMany'] })), 'rwx');
  assert.equal(pick(pvc('20Gi')), undefined);
  assert.equal(pick(pvc('500Mi', { volumeMode: 'Block' })), undefined);
  vols[3]!.metadata!.labels = { tier: 'gold' };
  assert.equal(pick(pvc('100Mi', { selector: { matchLabels: { tier: 'gold' } } })), 'mid');
  vols[0]!.spec!.claimRef = { namespace: 'default', name: 'data' }; // pre-bound by the user
  assert.equal(pick(pvc('500Mi')), 'big');
  assert.equal(mismatch(vols[2]!, pvc('1Gi') as PersistentVolumeClaim), 'requested PV is too small');
});
