// persistentVolumeClaim volumes against a real containerd, kubelet and `tskube server` (its PV
// binder): a pod whose claim is not bound yet waits with a FailedMount event; once a hostPath
// volume arrives and binds, the container starts and writes through the bind mount to the host
// directory; a second pod reads the data. Needs root (containerd).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { startKubeletStack, waitFor, type KubeletStack } from './cri-kubelet-stack.js';

const NODE = 'kl-pvc';
let stack: KubeletStack;
let client: ApiClient;
const hostDir = mkdtempSync('/tmp/tskube-kl-pvc-');

before(async () => {
  stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.250.0/24' });
  ({ client } = stack);
});
after(async () => { await stack?.stop(); rmSync(hostDir, { recursive: true, force: true }); });

const getPod = (name: string) => client.get<Pod>(R.pods, name, 'default');
const events = async (name: string) => (await client.list<Event>(R.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name);
const pod = (name: string, script: string, readOnly = false): Pod => ({ metadata: { name, namespace: 'default' }, spec: {
  nodeName: NODE, terminationGracePeriodSeconds: 1, restartPolicy: 'Never',
  containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
  volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'store', readOnly } }] } });

test('an unbound claim holds the pod with FailedMount; once bound, the hostPath volume is mounted', async () => {
  await client.create(R.persistentvolumeclaims, { metadata: { name: 'store', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  await client.create(R.pods, pod('writer', 'echo written-by-pod > /data/out.txt'));
  const ev = await waitFor('FailedMount', async () => (await events('writer')).find((e) => e.reason === 'FailedMount'));
  assert.equal(ev.type, 'Warning');
  assert.match(ev.message ?? '', /^Unable to attach or mount volumes: unmounted volumes=\[data\], failed to process volumes=\[data\]: error processing PVC default\/store: PVC default\/store has non-bound phase \("Pending"\) or empty pvc.Spec.VolumeName \(""\)$/);
  assert.equal((await getPod('writer')).status?.phase, 'Pending');

  await client.create(R.persistentvolumes, { metadata: { name: 'store-pv' },
    spec: { capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `${hostDir}/vol`, type: 'DirectoryOrCreate' } } });
  await waitFor('writer Succeeded', async () => (await getPod('writer')).status?.phase === 'Succeeded', 60_000, 250);
  assert.equal(readFileSync(`${hostDir}/vol/out.txt`, 'utf8'), 'written-by-pod\n');

  // A second pod mounts the claim read-only: it sees the data and cannot write (exit 0 says both).
  await client.create(R.pods, pod('reader', 'grep -q written-by-pod /data/out.txt && ! touch /data/x 2>/dev/null', true));
  const phase = await waitFor('reader finished', async () => { const p = (await getPod('reader')).status?.phase; return (p === 'Succeeded' || p === 'Failed') && p; }, 60_000, 250);
  assert.equal(phase, 'Succeeded');
});
