// Issue 5 end to end through the lab with the real kubectl: a Deployment spread 3/3, a rolling
// update never below maxUnavailable (watched) and its undo, a DaemonSet on every worker, a Job
// to completion, a StatefulSet's ordered pods, a pod Pending on an untolerated taint, cordon +
// drain, kill -9 of the controller manager mid-rollout, nginx serving from a local
// PersistentVolume bound on first use, and a dead worker's pods replaced.
// Runs under the lab lock: `flock /tmp/tskube-lab.lock node --test dist/test/e2e/controllers.test.js`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { ApiClient, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { kubectl, repoRoot, waitFor } from '../helpers/server.js';

type K<T> = T & KubeObject;
const LAB_ENV = { TSKUBE_NODE_GRACE: '20', TSKUBE_POD_EVICTION_TIMEOUT: '10' }; // lab-short node death
const tskube = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args],
  { encoding: 'utf8', timeout: 240_000, env: { ...process.env, ...LAB_ENV } });
const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const k = (...args: string[]) => kubectl(kubeconfig, args);
const ok = async (...args: string[]) => { const r = await k(...args); assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`); return r.stdout; };
const apply = async (obj: object) => { const r = await kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(obj)); assert.equal(r.code, 0, r.stderr); };
// The lab's API as its admin (HTTPS with the lab's CA and admin certificate when secure).
let lazyClient: ApiClient | undefined;
const client = new Proxy({} as ApiClient, { get: (_t, prop) => {
  lazyClient ??= ApiClient.fromKubeconfig(kubeconfig, 'tskube-e2e');
  const v = (lazyClient as unknown as Record<string | symbol, unknown>)[prop];
  return typeof v === 'function' ? v.bind(lazyClient) : v;
} });
let cm: ChildProcess | undefined;

const isReady = (p: Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const livePods = async (sel: string) => (await client.list<K<Pod>>(R.pods, { namespace: 'default', labelSelector: sel })).items.filter((p) => !p.metadata?.deletionTimestamp);
const perNode = (ps: Pod[]) => { const o: Record<string, number> = {}; for (const p of ps) o[p.spec?.nodeName ?? '-'] = (o[p.spec?.nodeName ?? '-'] ?? 0) + 1; return o; };
const readyOn = (sel: string, n: number) => async () => { const ps = await livePods(sel); return ps.length === n && ps.every((p) => p.status?.phase === 'Running' && isReady(p)) && ps; };
const deployment = (name: string, replicas: number, image: string, extra: object = {}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image, ...extra }] } } },
});

before(() => {
  assert.equal(tskube('lab', 'down').status, 0);
  const up = tskube('lab', 'up');
  assert.equal(up.status, 0, up.stdout + up.stderr);
});
after(() => {
  if (cm && cm.exitCode === null) cm.kill('SIGKILL');
  tskube('lab', 'down');
});

test('a 6-replica Deployment spreads 3/3 over the two workers', async () => {
  await waitFor('3 Ready nodes', async () => (await k('get', 'nodes', '--no-headers')).stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 3, 90_000);
  await apply(deployment('web', 6, 'nginx:latest'));
  const ps = await waitFor('6 web pods Ready', readyOn('app=web', 6), 120_000, 500);
  assert.deepEqual(perNode(ps), { 'worker-1': 3, 'worker-2': 3 });
});

test('rolling update nginx:latest → nginx:1.14.2 never drops below replicas − maxUnavailable; rollout undo', async () => {
  const ready = new Map<string, boolean>();
  for (const p of await livePods('app=web')) ready.set(p.metadata!.name!, isReady(p));
  let min = Infinity;
  const w = client.watch<K<Pod>>(R.pods, { namespace: 'default', labelSelector: 'app=web' }, (type, p) => {
    if (type === 'DELETED' || p.metadata?.deletionTimestamp) ready.delete(p.metadata!.name!); else ready.set(p.metadata!.name!, isReady(p));
    min = Math.min(min, [...ready.values()].filter(Boolean).length);
  });
  w.done.catch(() => {});
  await ok('set', 'image', 'deploy/web', 'main=nginx:1.14.2');
  await ok('rollout', 'status', 'deploy/web', '--timeout=180s');
  w.stop();
  console.log(`fewest Ready pods during the rollout: ${min} (6 replicas, maxUnavailable 25% → 1)`);
  assert.ok(min >= 5, `dropped to ${min} ready pods`);
  const ps = await livePods('app=web');
  assert.ok(ps.every((p) => p.spec!.containers[0]!.image === 'nginx:1.14.2'));
  await ok('rollout', 'undo', 'deploy/web');
  await ok('rollout', 'status', 'deploy/web', '--timeout=180s');
  const back = await waitFor('6 nginx:latest pods', async () => { const p = await livePods('app=web'); return p.length === 6 && p.every((x) => x.spec!.containers[0]!.image === 'nginx:latest') && p; }, 60_000);
  assert.equal(back.length, 6);
  assert.match(await ok('rollout', 'history', 'deploy/web'), /^3\s/m);
});

test('a DaemonSet runs on every worker; a Job runs to completion', async () => {
  await apply({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } } } });
  await ok('rollout', 'status', 'ds/agent', '--timeout=120s');
  assert.deepEqual(perNode(await livePods('app=agent')), { 'worker-1': 1, 'worker-2': 1 });
  await apply({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'hello', namespace: 'default' },
    spec: { completions: 2, parallelism: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello'] }] } } } });
  await ok('wait', '--for=condition=complete', 'job/hello', '--timeout=120s');
  assert.match(await ok('get', 'jobs', 'hello', '--no-headers'), /^hello\s+Complete\s+2\/2\s/);
});

test('a StatefulSet starts web-0, web-1, web-2 in order', async () => {
  const seen: Array<{ name: string; at: number }> = [];
  const readyAt = new Map<string, number>();
  const w = client.watch<K<Pod>>(R.pods, { namespace: 'default', labelSelector: 'app=db' }, (type, p) => {
    if (type === 'ADDED') seen.push({ name: p.metadata!.name!, at: Date.now() });
    if (isReady(p) && !readyAt.has(p.metadata!.name!)) readyAt.set(p.metadata!.name!, Date.now());
  });
  w.done.catch(() => {});
  await apply({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' },
    spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'main', image: 'nginx:latest' }] } } } });
  await ok('rollout', 'status', 'sts/db', '--timeout=180s');
  w.stop();
  assert.deepEqual(seen.map((s) => s.name), ['db-0', 'db-1', 'db-2']);
  for (let i = 1; i < 3; i++) assert.ok(seen[i]!.at >= readyAt.get(`db-${i - 1}`)!, `db-${i} before db-${i - 1} was Ready`);
  await ok('delete', 'sts/db', '--wait=false');
});

test('a pod with an untolerated taint stays Pending with the scheduler\'s message, and schedules once untainted', async () => {
  await ok('taint', 'nodes', 'worker-1', 'worker-2', 'e2e=blocked:NoSchedule');
  await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'blocked', namespace: 'default', labels: { app: 'blocked' } }, spec: { containers: [{ name: 'main', image: 'nginx:latest' }] } });
  const cond = await waitFor('PodScheduled=False', async () => (await client.get<K<Pod>>(R.pods, 'blocked', 'default')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'), 30_000);
  assert.equal(cond.message, '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) had untolerated taint {e2e: blocked}.');
  assert.match((await ok('get', 'pod', 'blocked', '--no-headers')), /Pending/);
  await ok('taint', 'nodes', 'worker-1', 'worker-2', 'e2e=blocked:NoSchedule-');
  await waitFor('blocked pod Running', readyOn('app=blocked', 1), 60_000, 500);
  await ok('delete', 'pod', 'blocked', '--wait=false');
});

test('cordon + drain moves a worker\'s pods to the other worker', async () => {
  // kubectl drain cordons, then evicts each pod through pods/eviction (a protobuf body).
  await ok('drain', 'worker-1', '--ignore-daemonsets', '--force', '--timeout=90s');
  assert.match(await ok('get', 'node', 'worker-1', '--no-headers'), /SchedulingDisabled/);
  const ps = await waitFor('6 web pods Ready on worker-2', async () => { const p = await readyOn('app=web', 6)(); return p && p.every((x) => x.spec?.nodeName === 'worker-2') && p; }, 120_000, 500);
  assert.equal(ps.length, 6);
  assert.deepEqual(perNode(await livePods('app=agent')), { 'worker-1': 1, 'worker-2': 1 }, 'the DaemonSet pod stays');
  await ok('uncordon', 'worker-1');
});

/** Restarts the lab's API server without its in-process controllers (same command line, same log and pid file). */
function restartServerWithoutControllers(): void {
  const pidFile = join(repoRoot, '.lab/pids/server.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  spawnSync('sh', ['-c', `while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done`], { timeout: 15_000 });
  const fd = openSync(join(repoRoot, '.lab/logs/server.log'), 'a');
  const child = spawn('nsenter', ['--net=/run/netns/tskube-master', `--wd=${repoRoot}`, ...args, '--disable', 'controllers'],
    { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...LAB_ENV } });
  child.unref();
  const start = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  writeFileSync(pidFile, `${child.pid} ${start}\n`);
}

const cmLog = `/tmp/tskube-e2e-controller-manager-${process.pid}.log`;
const startControllerManager = () => {
  const fd = openSync(cmLog, 'a');
  const cmKubeconfig = join(repoRoot, '.lab/pki/kube-controller-manager.kubeconfig');
  const target = existsSync(cmKubeconfig) ? ['--kubeconfig', cmKubeconfig] : ['--server', 'http://192.168.56.10:6443'];
  return spawn(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), 'controller-manager', ...target, '--port=-1'],
    { stdio: ['ignore', fd, fd], env: { ...process.env, ...LAB_ENV } });
};

test('kill -9 of the controller manager in the middle of a 50-replica rollout: after restart exactly the desired pods', async () => {
  restartServerWithoutControllers();
  await waitFor('API server back', async () => { await client.request('GET', '/readyz'); return true; }, 30_000, 200);
  cm = startControllerManager();
  await apply(deployment('big', 50, 'pause', { env: [{ name: 'V', value: '1' }] }));
  await waitFor('50 big pods Ready', readyOn('app=big', 50), 240_000, 1000);
  await ok('set', 'env', 'deploy/big', 'V=2');
  await waitFor('rollout under way', async () => { const p = await livePods('app=big'); return p.some((x) => x.spec!.containers[0]!.env?.[0]?.value === '2' && isReady(x)); }, 60_000, 250);
  cm.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 2000));
  cm = startControllerManager();
  await ok('rollout', 'status', 'deploy/big', '--timeout=300s');
  const ps = await waitFor('exactly 50 new pods', async () => { const p = await livePods('app=big'); return p.length === 50 && p.every((x) => x.spec!.containers[0]!.env?.[0]?.value === '2') && p; }, 60_000, 500);
  assert.equal(ps.length, 50);
  const rss = (await client.list<K<ReplicaSet>>(R.replicasets, { namespace: 'default', labelSelector: 'app=big' })).items;
  assert.equal(rss.reduce((n, r) => n + (r.spec?.replicas ?? 0), 0), 50);
  const all = (await client.list<K<Pod>>(R.pods, { namespace: 'default', labelSelector: 'app=big' })).items;
  const rsUids = new Set(rss.map((r) => r.metadata!.uid));
  assert.deepEqual(all.filter((p) => !rsUids.has(p.metadata?.ownerReferences?.[0]?.uid ?? '')).map((p) => p.metadata!.name), [], 'no orphaned pods');
  await ok('delete', 'deploy/big', '--wait=false');
  await waitFor('big pods gone', async () => (await client.list(R.pods, { namespace: 'default', labelSelector: 'app=big' })).items.length === 0, 180_000, 1000);
});

test('a local PersistentVolume on worker-2 (WaitForFirstConsumer): the claim binds when nginx is scheduled there, and nginx serves its files', async () => {
  const dir = mkdtempSync('/tmp/tskube-e2e-pv-');
  try {
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'index.html'), 'served-from-a-persistent-volume\n');
    const r = await kubectl(kubeconfig, ['apply', '-f', '-'], `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-e2e}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: e2e-local}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-e2e
  local: {path: ${dir}}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [worker-2]}]}]}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: site}
spec: {accessModes: [ReadWriteOnce], storageClassName: local-e2e, resources: {requests: {storage: 500Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: site, labels: {app: site}}
spec:
  containers:
  - {name: nginx, image: nginx, volumeMounts: [{name: html, mountPath: /usr/share/nginx/html, readOnly: true}]}
  volumes: [{name: html, persistentVolumeClaim: {claimName: site}}]
`);
    assert.equal(r.code, 0, r.stderr);
    const [p] = await waitFor('site Running and Ready', readyOn('app=site', 1), 120_000, 500);
    assert.equal(p!.spec?.nodeName, 'worker-2');
    assert.match(await ok('get', 'pvc', 'site'), /site\s+Bound\s+e2e-local\s+1Gi\s+RWO\s+local-e2e\s/);
    const curl = tskube('lab', 'exec', 'worker-1', '--', 'curl', '-s', `http://${p!.status?.podIP}/`);
    assert.equal(curl.stdout, 'served-from-a-persistent-volume\n', curl.stderr);
    await ok('delete', 'pod', 'site');
    await ok('delete', 'pvc', 'site');
    await waitFor('e2e-local Released', async () => /e2e-local\s+1Gi\s+RWO\s+Retain\s+Released\s+default\/site\s/.test(await ok('get', 'pv', 'e2e-local')), 30_000, 500);
    await ok('delete', 'pv', 'e2e-local');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker whose agent dies: Unknown, tainted unreachable, its pods replaced on the other worker after the (lab-shortened) toleration', async () => {
  await ok('rollout', 'restart', 'deploy/web'); // spread web over both workers again after the drain
  await ok('rollout', 'status', 'deploy/web', '--timeout=180s');
  const before = perNode(await livePods('app=web'));
  assert.ok((before['worker-2'] ?? 0) > 0, JSON.stringify(before));
  const pid = Number(readFileSync(join(repoRoot, '.lab/pids/agent-worker-2.pid'), 'utf8').split(' ')[0]);
  const t0 = Date.now();
  process.kill(pid, 'SIGKILL');
  // Ready=Unknown: kubectl prints NotReady (upstream's printer; tskube's table may say Unknown).
  await waitFor('worker-2 NotReady (Unknown)', async () => /\s(NotReady|Unknown)\s/.test((await ok('get', 'node', 'worker-2', '--no-headers'))), 60_000, 1000);
  const n = JSON.parse(await ok('get', 'node', 'worker-2', '-o', 'json'));
  assert.ok(n.spec.taints.some((t: { key: string; effect: string }) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));
  const moved = await waitFor('6 web pods Ready on worker-1', async () => { const p = await readyOn('app=web', 6)(); return p && p.every((x) => x.spec?.nodeName === 'worker-1') && p; }, 120_000, 1000)
    .catch(async (err) => {
      console.log((await k('get', 'pods', '-o', 'wide')).stdout);
      console.log(readFileSync(cmLog, 'utf8').split('\n').filter((l) => /evict|node-lifecycle|warn|error/i.test(l)).slice(-30).join('\n'));
      throw err;
    });
  console.log(`agent killed → pods replaced on worker-1 in ${Date.now() - t0} ms (grace 20 s + toleration 10 s)`);
  assert.equal(moved.length, 6);
});
