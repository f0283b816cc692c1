// The kubelet's persistentVolumeClaim volumes: a Bound claim's hostPath or local volume becomes
// the containers' bind mount (read-only when the claim volume says so); a missing or unbound claim,
// or a volume that is not there, is a FailedMount-style error naming the claim, as upstream words it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { resolveClaims, type Getter } from '../../agent/kubelet/volumes/claims.js';
import { VolumeError, VolumeManager } from '../../agent/kubelet/volumes/volume-manager.js';
import type { ObjectLookup } from '../../agent/kubelet/configmap/object-cache.js';

const root = mkdtempSync(join(tmpdir(), 'tskube-claims-'));
after(() => rmSync(root, { recursive: true, force: true }));

const pod = (claim: string, readOnly = false): Pod => ({ metadata: { name: 'db', namespace: 'default', uid: 'pod-uid' }, spec: {
  containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
  volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim, readOnly } }] } });
const claim = (name: string, phase: string, volumeName?: string): PersistentVolumeClaim =>
  ({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { volumeName }, status: { phase } });
const volume = (name: string, spec: PersistentVolume['spec']): PersistentVolume => ({ metadata: { name }, spec });

function getter(objs: Record<string, unknown>): Getter {
  return async <T>(r: { resource: string }, ns: string | undefined, name: string) => objs[`${r.resource}/${ns ?? ''}/${name}`] as T | undefined;
}

test('resolveClaims: bound claims give their volume; missing and unbound ones say why', async () => {
  const dir = join(root, 'pv1');
  const objs = {
    'persistentvolumeclaims/default/bound': claim('bound', 'Bound', 'pv1'),
    'persistentvolumeclaims/default/waiting': claim('waiting', 'Pending'),
    'persistentvolumes//pv1': volume('pv1', { hostPath: { path: dir, type: 'DirectoryOrCreate' }, claimRef: { uid: 'uid-bound' } }),
  };
  const p: Pod = { metadata: { namespace: 'default' }, spec: { containers: [], volumes: ['bound', 'waiting', 'missing'].map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) } };
  const got = await resolveClaims(p, getter(objs));
  assert.equal((got.get('bound') as PersistentVolume).metadata?.name, 'pv1');
  assert.equal((got.get('waiting') as Error).message, 'error processing PVC default/waiting: PVC default/waiting has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")');
  assert.equal((got.get('missing') as Error).message, 'error processing PVC default/missing: failed to fetch PVC from API server: persistentvolumeclaims "missing" not found');
});

test('VolumeManager: a claim\'s hostPath volume is the mount source; readOnly carries over', () => {
  const dir = join(root, 'data');
  const objs: ObjectLookup = { configMap: () => undefined, secret: () => undefined,
    claimVolume: () => volume('pv1', { hostPath: { path: dir, type: 'DirectoryOrCreate' } }) };
  const vm = new VolumeManager(root);
  const p = pod('data', true);
  const dirs = vm.setUp(p, objs);
  assert.equal(dirs.get('data'), dir);
  const mounts = vm.mountsFor(p, p.spec!.containers[0]!, dirs);
  assert.deepEqual(mounts.map((m) => [m.host_path, m.container_path, m.readonly]), [[dir, '/data', true]]);
});

test('VolumeManager: an unbound claim or a missing local path fails the mount with a readable message', () => {
  const vm = new VolumeManager(root);
  const unbound: ObjectLookup = { configMap: () => undefined, secret: () => undefined,
    claimVolume: () => new Error('error processing PVC default/data: PVC default/data has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")') };
  assert.throws(() => vm.setUp(pod('data'), unbound), (e: Error) => e instanceof VolumeError &&
    e.message === 'Unable to attach or mount volumes: unmounted volumes=[data], failed to process volumes=[data]: error processing PVC default/data: PVC default/data has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")');
  const local: ObjectLookup = { configMap: () => undefined, secret: () => undefined,
    claimVolume: () => volume('pv2', { local: { path: join(root, 'nope') } }) };
  assert.throws(() => vm.setUp(pod('data'), local), /MountVolume.SetUp failed for volume "data" : path ".*nope" does not exist/);
  const nfs: ObjectLookup = { configMap: () => undefined, secret: () => undefined, claimVolume: () => volume('pv3', { nfs: { server: 'x', path: '/' } }) };
  assert.throws(() => vm.setUp(pod('data'), nfs), /unsupported volume source \(supported: hostPath, local\)/);
  const block: ObjectLookup = { configMap: () => undefined, secret: () => undefined, claimVolume: () => volume('pv4', { volumeMode: 'Block', local: { path: root } }) };
  assert.throws(() => vm.setUp(pod('data'), block), /volumeMode Block is not supported/);
});
