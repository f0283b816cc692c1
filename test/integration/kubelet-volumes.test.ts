// The kubelet's volumes against a real containerd and `tskube server`: configMap, secret,
// downwardAPI and projected files (items, modes), emptyDir on disk and in memory (tmpfs),
// hostPath with type checks; ConfigMap updates reach mounted files; bad sources give FailedMount
// events and the pod starts once the source exists; teardown unmounts and removes. Needs root.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Container, Event, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound, type ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { CONFIGMAPS, SECRETS } from '../../agent/kubelet/configmap/object-cache.js';
import type { Kubelet } from '../../agent/kubelet/kubelet.js';
import { startKubeletStack, waitFor, type KubeletStack } from './cri-kubelet-stack.js';

const NODE = 'kl-vol';
let stack: KubeletStack;
let client: ApiClient;
let kubelet: Kubelet;
const hostDir = mkdtempSync('/tmp/tskube-kl-vol-');

const getPod = (name: string) => client.get<Pod>(R.pods, name, 'default');
const until = (name: string, what: string, ok: (p: Pod) => boolean, ms = 30_000) =>
  waitFor(`${name}: ${what}`, async () => { const p = await getPod(name); return ok(p) && p; }, ms);
function pod(name: string, c: Partial<Container>, volumes: Pod['spec'] extends infer S ? S extends { volumes?: infer V } ? V : never : never): Pod {
  return { metadata: { name, namespace: 'default', labels: { tier: 'web' }, annotations: { note: 'hello' } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, volumes,
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'], ...c }] } };
}
async function sh(name: string, script: string): Promise<string> {
  const p = await getPod(name);
  const id = p.status!.containerStatuses![0]!.containerID!.replace(/^.*:\/\//, '');
  const r = await kubelet.cri.execSync(id, ['sh', '-c', script], 10);
  return Buffer.from(r.stdout).toString() + Buffer.from(r.stderr).toString();
}
const events = async (name: string) => (await client.list<Event>(R.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name);

before(async () => {
  stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.253.0/24' });
  ({ client, kubelet } = stack);
});
after(async () => { await stack?.stop(); rmSync(hostDir, { recursive: true, force: true }); });

test('configMap, secret, downwardAPI, projected, emptyDir (Memory) and hostPath volumes', async () => {
  await client.create(CONFIGMAPS, { metadata: { name: 'site' }, data: { 'index.html': 'v1', 'other.txt': 'x' } }, 'default');
  await client.create(SECRETS, { metadata: { name: 'creds' }, data: { user: Buffer.from('admin').toString('base64') } }, 'default');
  await client.create(R.pods, pod('vols', {
    volumeMounts: [
      { name: 'cm', mountPath: '/cm' }, { name: 'sec', mountPath: '/sec' }, { name: 'dapi', mountPath: '/dapi' },
      { name: 'proj', mountPath: '/proj' }, { name: 'mem', mountPath: '/mem' }, { name: 'host', mountPath: '/host' },
      { name: 'cm', mountPath: '/only', subPath: '' },
    ],
  }, [
    { name: 'cm', configMap: { name: 'site' } },
    { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400 } },
    { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    { name: 'proj', projected: { sources: [
      { configMap: { name: 'site', items: [{ key: 'index.html', path: 'web/index.html' }] } },
      { secret: { name: 'creds' } },
      { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
    ] } }, // serviceAccountToken sources need an API server that issues tokens: test/e2e/security.test.ts
    { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } },
    { name: 'host', hostPath: { path: `${hostDir}/made`, type: 'DirectoryOrCreate' } },
  ]));
  const p = await until('vols', 'Running', (x) => x.status?.phase === 'Running');
  assert.equal(await sh('vols', 'cat /cm/index.html /cm/other.txt'), 'v1x');
  assert.equal(await sh('vols', 'cat /sec/user; stat -L -c %a /sec/user'), 'admin400\n');
  assert.equal(await sh('vols', 'cat /dapi/name; echo; cat /dapi/labels'), 'vols\ntier="web"');
  assert.equal(await sh('vols', 'cat /proj/web/index.html /proj/user /proj/ns'), 'v1admindefault');
  await sh('vols', 'echo hi > /host/f');
  assert.equal(readFileSync(`${hostDir}/made/f`, 'utf8'), 'hi\n');
  // The kubelet mounted a tmpfs for the Memory emptyDir (in the lab the container sees it too).
  const uid = p.metadata!.uid!;
  const memDir = `${stack.ctr.dir}/kubelet/pods/${uid}/volumes/kubernetes.io~empty-dir/mem`;
  const tmpfsOf = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === memDir);
  assert.match(tmpfsOf() ?? '', / - tmpfs .*size=8192k/);

  // An update reaches the mounted file (periodic volume resync + atomic swap).
  await client.patch(CONFIGMAPS, 'site', 'default', { data: { 'index.html': 'v2', 'other.txt': 'x' } }, 'merge');
  await waitFor('updated file', async () => (await sh('vols', 'cat /cm/index.html')) === 'v2', 30_000, 500);

  await client.delete(R.pods, 'vols', 'default');
  await waitFor('vols gone', () => getPod('vols').then(() => false, (e) => isNotFound(e)), 30_000);
  assert.equal(tmpfsOf(), undefined);
  assert.equal(existsSync(`${stack.ctr.dir}/kubelet/pods/${uid}`), false);
});

test('a missing ConfigMap gives FailedMount, then the pod starts once it exists', async () => {
  await client.create(R.pods, pod('nocm', { volumeMounts: [{ name: 'c', mountPath: '/c' }] }, [{ name: 'c', configMap: { name: 'later' } }]));
  const ev = await waitFor('FailedMount', async () => (await events('nocm')).find((e) => e.reason === 'FailedMount'));
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, 'MountVolume.SetUp failed for volume "c" : configmap "later" not found');
  const p = await getPod('nocm');
  assert.equal(p.status?.phase, 'Pending');
  assert.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
  await client.create(CONFIGMAPS, { metadata: { name: 'later' }, data: { a: 'b' } }, 'default');
  await until('nocm', 'Running', (x) => x.status?.phase === 'Running');
  assert.equal(await sh('nocm', 'cat /c/a'), 'b');
});

test('hostPath type mismatch and unknown volume types are reported, other pods unaffected', async () => {
  await client.create(R.pods, pod('badhost', { volumeMounts: [{ name: 'h', mountPath: '/h' }] }, [{ name: 'h', hostPath: { path: `${hostDir}/missing`, type: 'Directory' } }]));
  const ev = await waitFor('FailedMount', async () => (await events('badhost')).find((e) => e.reason === 'FailedMount'));
  assert.match(ev.message ?? '', /hostPath type check failed: .*missing is not a directory/);
  await client.create(R.pods, pod('nfs', {}, [{ name: 'n', nfs: { server: 'x', path: '/' } }]));
  const ev2 = await waitFor('FailedMount', async () => (await events('nfs')).find((e) => e.reason === 'FailedMount'));
  assert.match(ev2.message ?? '', /unsupported volume type/);
  assert.equal((await getPod('nocm')).status?.phase, 'Running');
});
