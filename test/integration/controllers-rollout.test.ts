// `kubectl rollout status / history / undo / pause / resume / restart` with the real kubectl
// against a `tskube server` with fake nodes and a fake kubelet, and a rollout that stalls
// failing on progressDeadlineSeconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { ApiClient, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { startServer, kubectl, waitFor, type TestServer } from '../helpers/server.js';
import { FakeKubelet, NEVER_READY_ANNOTATION, registerNode } from './controllers-fake-cluster.js';

type K<T> = T & KubeObject;
let srv: TestServer;
let client: ApiClient;
let kubelet: FakeKubelet;
const k = (...args: string[]) => kubectl(srv.kubeconfig, args);
const ok = async (...args: string[]) => { const r = await k(...args); assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`); return r.stdout; };

before(async () => {
  srv = await startServer(['--disable', 'dns']);
  client = new ApiClient({ server: srv.url });
  for (const [i, n] of ['worker-1', 'worker-2'].entries()) await registerNode(client, { name: n }, i);
  kubelet = new FakeKubelet(client, ['worker-1', 'worker-2'], 100).start();
});
after(async () => {
  kubelet?.stop();
  await srv?.stop();
});

const manifest = (image: string) => JSON.stringify({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } } },
});
const rsList = async () => (await client.list<K<ReplicaSet>>(R.replicasets, { namespace: 'default', labelSelector: 'app=web' })).items;
const image = async () => (await client.get<K<Deployment>>(R.deployments, 'web', 'default')).spec!.template.spec!.containers[0]!.image;

test('rollout status, history (with change-cause and --revision), undo --to-revision', async () => {
  const apply = await kubectl(srv.kubeconfig, ['apply', '-f', '-'], manifest('nginx:1.25'));
  assert.equal(apply.code, 0, apply.stderr);
  assert.match(await ok('rollout', 'status', 'deploy/web', '--timeout=30s'), /successfully rolled out/);
  await ok('set', 'image', 'deploy/web', 'nginx=nginx:1.26');
  await ok('annotate', 'deploy/web', 'kubernetes.io/change-cause=bump to 1.26', '--overwrite');
  assert.match(await ok('rollout', 'status', 'deploy/web', '--timeout=30s'), /successfully rolled out/);
  const history = await ok('rollout', 'history', 'deploy/web');
  assert.match(history, /^1\s+<none>/m);
  assert.match(history, /^2\s+/m);
  const rev1 = await ok('rollout', 'history', 'deploy/web', '--revision=1');
  assert.match(rev1, /Image:\s+nginx:1\.25/);
  await ok('rollout', 'undo', 'deploy/web', '--to-revision=1');
  assert.match(await ok('rollout', 'status', 'deploy/web', '--timeout=30s'), /successfully rolled out/);
  assert.equal(await image(), 'nginx:1.25');
  assert.equal((await rsList()).length, 2, 'undo reuses revision 1\'s ReplicaSet');
});

test('pause holds template changes; resume rolls them out; restart makes a new ReplicaSet', async () => {
  await ok('rollout', 'pause', 'deploy/web');
  await ok('set', 'image', 'deploy/web', 'nginx=nginx:1.27');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await rsList()).length, 2, 'no new ReplicaSet while paused');
  const d = await client.get<K<Deployment>>(R.deployments, 'web', 'default');
  assert.equal(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'DeploymentPaused');
  await ok('rollout', 'resume', 'deploy/web');
  assert.match(await ok('rollout', 'status', 'deploy/web', '--timeout=30s'), /successfully rolled out/);
  assert.equal((await rsList()).length, 3);

  await ok('rollout', 'restart', 'deploy/web');
  assert.match(await ok('rollout', 'status', 'deploy/web', '--timeout=30s'), /successfully rolled out/);
  const rss = await rsList();
  const cur = rss.find((r) => (r.spec?.replicas ?? 0) > 0)!;
  assert.ok(cur.spec!.template!.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']);
  assert.equal(cur.metadata!.annotations!['deployment.kubernetes.io/revision'], '5');
  const pods = await waitFor('3 pods of the restarted template', async () => {
    const ps = (await client.list<K<KubeObject>>(R.pods, { namespace: 'default', labelSelector: `pod-template-hash=${cur.metadata!.labels!['pod-template-hash']}` })).items;
    return ps.filter((p) => !p.metadata?.deletionTimestamp).length === 3 && ps;
  }, 15_000);
  assert.equal(pods.length >= 3, true);
});

test('a rollout whose pods never become Ready fails after progressDeadlineSeconds', async () => {
  await ok('patch', 'deploy/web', '-p', JSON.stringify({ spec: { progressDeadlineSeconds: 3, template: { metadata: { annotations: { [NEVER_READY_ANNOTATION]: 'x' } } } } }));
  const r = await k('rollout', 'status', 'deploy/web', '--timeout=40s');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /exceeded its progress deadline/);
  const d = await client.get<K<Deployment>>(R.deployments, 'web', 'default');
  const prog = d.status!.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(prog.status, 'False');
  assert.equal(prog.reason, 'ProgressDeadlineExceeded');
  // maxUnavailable 25% of 3 = 0 → the old pods all stay available while the new ones hang.
  assert.equal(d.status!.availableReplicas, 3);
});

test('strategy Recreate: every old pod is gone before the first new pod exists', async () => {
  const rec = (img: string) => JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'rec', namespace: 'default' },
    spec: { replicas: 3, strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'rec' } },
      template: { metadata: { labels: { app: 'rec' } }, spec: { containers: [{ name: 'nginx', image: img }] } } },
  });
  assert.equal((await kubectl(srv.kubeconfig, ['apply', '-f', '-'], rec('nginx:1.25'))).code, 0);
  assert.match(await ok('rollout', 'status', 'deploy/rec', '--timeout=30s'), /successfully rolled out/);
  const alive = new Map<string, string>(); // pod name → image, from a watch
  const overlaps: string[] = [];
  const w = client.watch<K<KubeObject & { spec?: { containers: { image: string }[] } }>>(R.pods, { namespace: 'default', labelSelector: 'app=rec' }, (type, p) => {
    const name = p.metadata!.name!, img = p.spec!.containers[0]!.image;
    if (type === 'DELETED') { alive.delete(name); return; }
    if (type === 'ADDED' && img === 'nginx:1.26' && [...alive.values()].includes('nginx:1.25')) overlaps.push(name);
    alive.set(name, img);
  });
  w.done.catch(() => {});
  try {
    await waitFor('watch sees the 3 old pods', async () => alive.size === 3, 10_000, 50);
    await ok('set', 'image', 'deploy/rec', 'nginx=nginx:1.26');
    assert.match(await ok('rollout', 'status', 'deploy/rec', '--timeout=60s'), /successfully rolled out/);
    await waitFor('3 new pods and no old one', async () => [...alive.values()].filter((i) => i === 'nginx:1.26').length === 3 && alive.size === 3, 15_000, 50);
  } finally { w.stop(); }
  assert.deepEqual(overlaps, [], 'new pods created while old ones still existed');
  await ok('delete', 'deploy/rec');
});
