// ControllerRevisions through a real `tskube server` on fake nodes: a DaemonSet's and a
// StatefulSet's templates become numbered revisions; `kubectl rollout history` lists them (and one
// revision's template), `kubectl rollout undo` brings the previous template back and renumbers it;
// revisionHistoryLimit trims what no pod uses; deleting the owner removes its revisions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient, KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { waitFor } from '../helpers/server.js';
import { startFakeCluster, type FakeCluster } from './fake-cluster-server.js';

let cluster: FakeCluster;
let client: ApiClient;
const k = (...args: string[]) => cluster.kubectl(args);
const kubectlIn = (args: string[], input: string) => cluster.kubectl(args, input);

before(async () => { cluster = await startFakeCluster(['worker-1', 'worker-2']); client = cluster.client; });
after(async () => { await cluster?.stop(); });

const revisions = async (owner: string) => (await client.list<ControllerRevision & KubeObject>(R.controllerrevisions, { namespace: 'default' })).items
  .filter((r) => r.metadata?.ownerReferences?.[0]?.name === owner).map((r) => [r.revision, r.metadata?.name] as const).sort((a, b) => a[0]! - b[0]!);
const image = async () => (await client.get<DaemonSet & KubeObject>(R.daemonsets, 'agent', 'default')).spec?.template?.spec?.containers[0]?.image;
async function ok(...args: string[]): Promise<string> {
  const r = await k(...args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('DaemonSet: one revision per template; history lists them; undo restores the previous one', async () => {
  const ds = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: busybox:1}]}
`;
  assert.equal((await kubectlIn(['apply', '-f', '-'], ds)).code, 0);
  await waitFor('revision 1', async () => (await revisions('agent')).length === 1);
  await ok('set', 'image', 'daemonset/agent', 'a=busybox:2');
  await waitFor('revision 2', async () => (await revisions('agent')).length === 2);
  const hist = await ok('rollout', 'history', 'daemonset/agent');
  assert.match(hist, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  const one = await ok('rollout', 'history', 'daemonset/agent', '--revision=1');
  assert.match(one, /Image:\s+busybox:1/);
  const table = await ok('get', 'controllerrevisions');
  assert.match(table, /^NAME\s+CONTROLLER\s+REVISION\s+AGE/);
  assert.match(table, /agent-\w+\s+daemonset.apps\/agent\s+2\s/);

  assert.match(await ok('rollout', 'undo', 'daemonset/agent'), /daemonset.apps\/agent rolled back/);
  assert.equal(await image(), 'busybox:1');
  // The old revision is renumbered 3 rather than copied.
  await waitFor('revision renumbered', async () => { const r = await revisions('agent'); return r.length === 2 && r[1]![0] === 3; });
  const names = await revisions('agent');
  const hist2 = await ok('rollout', 'history', 'daemonset/agent');
  assert.match(hist2, /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
  assert.equal((await k('rollout', 'undo', 'daemonset/agent', '--to-revision=9')).stderr.trim(), 'error: unable to find specified revision 9 in history');

  // Deleting the DaemonSet takes its revisions with it (garbage collector).
  await ok('delete', 'daemonset', 'agent');
  await waitFor('revisions collected', async () => (await revisions('agent')).length === 0, 30_000);
  assert.equal(names.length, 2);
});

test('StatefulSet: revisions are named as the pods\' controller-revision-hash; the history limit trims', async () => {
  const sts = (img: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  revisionHistoryLimit: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: d, image: ${img}}]}
`;
  for (const img of ['busybox:1', 'busybox:2', 'busybox:3']) {
    assert.equal((await kubectlIn(['apply', '-f', '-'], sts(img))).code, 0);
    await waitFor(`pod on ${img}`, async () => {
      const p = await client.get<{ spec?: { containers: Array<{ image?: string }> }; status?: { phase?: string } } & KubeObject>(R.pods, 'db-0', 'default').catch(() => undefined);
      return p?.spec?.containers[0]?.image === img && p.status?.phase === 'Running';
    }, 30_000);
  }
  const revs = await waitFor('history trimmed to the limit', async () => { const r = await revisions('db'); return r.length === 2 && r; });
  assert.deepEqual(revs.map((r) => r[0]), [2, 3]);
  const pod = await client.get<KubeObject>(R.pods, 'db-0', 'default');
  assert.equal(pod.metadata?.labels?.['controller-revision-hash'], revs[1]![1]);
  assert.match(await ok('rollout', 'history', 'statefulset/db'), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
  assert.match(await ok('rollout', 'undo', 'statefulset/db'), /statefulset.apps\/db rolled back/);
  await waitFor('db-0 back on busybox:2', async () => {
    const p = await client.get<{ spec?: { containers: Array<{ image?: string }> } } & KubeObject>(R.pods, 'db-0', 'default').catch(() => undefined);
    return p?.spec?.containers[0]?.image === 'busybox:2';
  }, 30_000);
});
