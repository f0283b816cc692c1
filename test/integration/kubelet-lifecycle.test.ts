// The kubelet's pod lifecycle against a real containerd and `tskube server`: init containers in
// order, restartPolicy Never/OnFailure with Succeeded/Failed phases, CrashLoopBackOff with growing
// restarts, liveness (httpGet) restarts, readiness (exec) gating Ready, preStop + grace on
// delete, env from ConfigMap/Secret/fieldRef, OOMKilled, startup probes gating liveness, tcpSocket
// probes, imagePullPolicy Never/Always, workingDir and the CPU quota of a limit. Needs root.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Container, Event, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound, type ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { CONFIGMAPS, SECRETS } from '../../agent/kubelet/configmap/object-cache.js';
import type { Kubelet } from '../../agent/kubelet/kubelet.js';
import { startKubeletStack, waitFor, type KubeletStack } from './cri-kubelet-stack.js';

const NODE = 'kl-life';
let stack: KubeletStack;
let client: ApiClient;
let kubelet: Kubelet;
const hostDir = mkdtempSync('/tmp/tskube-kl-life-');

const SLEEP = 'trap "exit 0" TERM; while true; do sleep 1; done';
function pod(name: string, containers: Container[], extra: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, containers, ...extra } };
}
const c = (name: string, script: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox', command: ['sh', '-c', script], ...extra });
const getPod = (name: string) => client.get<Pod>(R.pods, name, 'default');
const until = (name: string, what: string, ok: (p: Pod) => boolean, ms = 30_000) =>
  waitFor(`${name}: ${what}`, async () => { const p = await getPod(name); return ok(p) && p; }, ms);

/** Runs a command in a pod's container through CRI ExecSync; returns stdout. */
async function exec(name: string, container: string, cmd: string[]): Promise<string> {
  const p = await getPod(name);
  const id = p.status!.containerStatuses!.find((s) => s.name === container)!.containerID!.replace(/^.*:\/\//, '');
  const r = await kubelet.cri.execSync(id, cmd, 10);
  return Buffer.from(r.stdout).toString();
}

async function reasons(name: string): Promise<string[]> {
  const l = await client.list<Event>(R.events, { namespace: 'default' });
  return l.items.filter((e) => e.involvedObject.name === name).map((e) => e.reason ?? '');
}

before(async () => {
  stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.252.0/24', hostLink: true, kubelet: { crashLoopBackoffBaseMs: 1000, crashLoopBackoffMaxMs: 4000 } });
  ({ client, kubelet } = stack);
});

after(async () => { await stack?.stop(); rmSync(hostDir, { recursive: true, force: true }); });

test('init containers run in order, before the app container, sharing an emptyDir', async () => {
  const vm = [{ name: 'work', mountPath: '/work' }];
  await client.create(R.pods, pod('init', [c('app', SLEEP, { volumeMounts: vm })], {
    initContainers: [c('first', 'echo first >> /work/order', { volumeMounts: vm }), c('second', 'sleep 1; echo second >> /work/order', { volumeMounts: vm })],
    volumes: [{ name: 'work', emptyDir: {} }],
  }));
  const seen = new Set<string>();
  const p = await until('init', 'Running', (x) => {
    const cond = x.status?.conditions?.find((k) => k.type === 'Initialized');
    if (cond?.status === 'False' && x.status?.initContainerStatuses?.some((s) => s.state?.running)) seen.add('init-running');
    return x.status?.phase === 'Running';
  });
  assert.ok(seen.has('init-running'), 'an init container was seen running while Initialized was False');
  assert.deepEqual(p.status!.initContainerStatuses!.map((s) => [s.name, s.state?.terminated?.reason]), [['first', 'Completed'], ['second', 'Completed']]);
  assert.equal(p.status!.conditions!.find((k) => k.type === 'Initialized')!.status, 'True');
  assert.equal(await exec('init', 'app', ['cat', '/work/order']), 'first\nsecond\n');
});

test('restartPolicy: Never → Succeeded / Failed, OnFailure restarts failures only', async () => {
  await client.create(R.pods, pod('ok-never', [c('main', 'exit 0')], { restartPolicy: 'Never' }));
  await client.create(R.pods, pod('fail-never', [c('main', 'exit 3')], { restartPolicy: 'Never' }));
  await client.create(R.pods, pod('fail-onfailure', [c('main', '[ -f /tmp/x ] || { touch /tmp/x; exit 1; }; exit 0', { volumeMounts: [{ name: 't', mountPath: '/tmp' }] })], { restartPolicy: 'OnFailure', volumes: [{ name: 't', emptyDir: {} }] }));
  const ok = await until('ok-never', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
  assert.equal(ok.status!.containerStatuses![0]!.state?.terminated?.reason, 'Completed');
  assert.equal(ok.status!.conditions!.find((k) => k.type === 'Ready')?.reason, 'PodCompleted');
  const bad = await until('fail-never', 'Failed', (p) => p.status?.phase === 'Failed');
  assert.equal(bad.status!.containerStatuses![0]!.state?.terminated?.exitCode, 3);
  assert.equal(bad.status!.containerStatuses![0]!.restartCount, 0);
  const of = await until('fail-onfailure', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
  assert.equal(of.status!.containerStatuses![0]!.restartCount, 1);
  // Finished pods give back their sandbox (and IP).
  const sbs = await kubelet.cri.listPodSandbox({ label_selector: { 'io.kubernetes.pod.uid': ok.metadata!.uid! } });
  assert.ok(sbs.every((s) => s.state === 'SANDBOX_NOTREADY'));
});

test('a crashing container goes into CrashLoopBackOff with growing restarts', async () => {
  await client.create(R.pods, pod('crash', [c('main', 'echo boom; exit 1')]));
  const counts = new Set<number>();
  await until('crash', 'CrashLoopBackOff, 3 restarts', (p) => {
    const s = p.status?.containerStatuses?.[0];
    if (s?.state?.waiting?.reason === 'CrashLoopBackOff') counts.add(s.restartCount);
    return counts.size >= 2 && s!.restartCount >= 3;
  }, 40_000);
  const p = await getPod('crash');
  assert.equal(p.status!.containerStatuses![0]!.lastState?.terminated?.exitCode, 1);
  assert.equal(p.status!.phase, 'Running');
  assert.ok((await reasons('crash')).includes('BackOff'));
});

test('a failing liveness probe (httpGet) restarts the container', async () => {
  await client.create(R.pods, pod('live', [c('web', 'mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www', {
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
  })]));
  await until('live', 'Running and ready', (p) => p.status?.containerStatuses?.[0]?.ready === true);
  // A passing probe leaves it alone (a few periods).
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await getPod('live')).status!.containerStatuses![0]!.restartCount, 0);
  await exec('live', 'web', ['rm', '/www/healthz']);
  const p = await until('live', 'restarted', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && !!x.status?.containerStatuses?.[0]?.state?.running);
  assert.ok(p.status!.containerStatuses![0]!.lastState?.terminated);
  const rs = await reasons('live');
  assert.ok(rs.includes('Unhealthy') && rs.includes('Killing'), rs.join(','));
});

test('readiness (exec) gates the Ready condition', async () => {
  await client.create(R.pods, pod('ready', [c('main', SLEEP, { readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 } })]));
  const p = await until('ready', 'Running', (x) => x.status?.phase === 'Running' && !!x.status.containerStatuses?.[0]?.state?.running);
  assert.equal(p.status!.conditions!.find((k) => k.type === 'Ready')!.status, 'False');
  assert.equal(p.status!.containerStatuses![0]!.ready, false);
  await exec('ready', 'main', ['touch', '/tmp/ready']);
  await until('ready', 'Ready', (x) => x.status?.conditions?.find((k) => k.type === 'Ready')?.status === 'True');
  await exec('ready', 'main', ['rm', '/tmp/ready']);
  await until('ready', 'not Ready again', (x) => x.status?.conditions?.find((k) => k.type === 'Ready')?.status === 'False');
});

test('env: value, envFrom ConfigMap, secretKeyRef, fieldRef; a missing ConfigMap is CreateContainerConfigError', async () => {
  await client.create(CONFIGMAPS, { metadata: { name: 'env-cm' }, data: { COLOR: 'blue', SIZE: 'L' } }, 'default');
  await client.create(SECRETS, { metadata: { name: 'env-sec' }, data: { pw: Buffer.from('s3cret').toString('base64') } }, 'default');
  await client.create(R.pods, pod('env', [c('main', SLEEP, {
    envFrom: [{ configMapRef: { name: 'env-cm' }, prefix: 'CM_' }],
    env: [
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'env-sec', key: 'pw' } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'HOSTIP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'GREETING', value: 'hi $(POD)' },
    ],
  })]));
  const p = await until('env', 'Running', (x) => x.status?.phase === 'Running');
  const env = Object.fromEntries((await exec('env', 'main', ['env'])).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.CM_COLOR, 'blue');
  assert.equal(env.CM_SIZE, 'L');
  assert.equal(env.PW, 's3cret');
  assert.equal(env.POD, 'env');
  assert.equal(env.NS, 'default');
  assert.equal(env.IP, p.status!.podIP);
  assert.equal(env.NODE, NODE);
  assert.equal(env.HOSTIP, '192.168.56.99');
  assert.equal(env.GREETING, 'hi env');

  await client.create(R.pods, pod('env-missing', [c('main', SLEEP, { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] })]));
  const m = await until('env-missing', 'CreateContainerConfigError', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
  assert.match(m.status!.containerStatuses![0]!.state!.waiting!.message!, /configmap "nope" not found/);
  await client.create(CONFIGMAPS, { metadata: { name: 'nope' }, data: { k: 'v' } }, 'default');
  await until('env-missing', 'Running once the ConfigMap exists', (x) => x.status?.phase === 'Running', 30_000);
});

test('a memory hog over its limit is OOMKilled and reported so', async () => {
  await client.create(R.pods, pod('oom', [c('main', 'sleep 1; tail /dev/zero', { resources: { limits: { memory: '24Mi' } } })], { restartPolicy: 'Never' }));
  const p = await until('oom', 'Failed', (x) => x.status?.phase === 'Failed');
  const t = p.status!.containerStatuses![0]!.state!.terminated!;
  assert.equal(t.reason, 'OOMKilled');
  assert.equal(t.exitCode, 137);
});

test('delete runs preStop, sends TERM, and SIGKILLs after the grace period', async () => {
  await client.create(R.pods, pod('grace', [c('main', 'trap "" TERM; while true; do sleep 1; done', {
    lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo bye > /host/prestop'] } } },
    volumeMounts: [{ name: 'host', mountPath: '/host' }],
  })], { terminationGracePeriodSeconds: 3, volumes: [{ name: 'host', hostPath: { path: hostDir, type: 'Directory' } }] }));
  await until('grace', 'Running', (x) => x.status?.phase === 'Running');
  const t0 = Date.now();
  await client.delete(R.pods, 'grace', 'default');
  await waitFor('grace pod gone', () => getPod('grace').then(() => false, (e) => isNotFound(e)), 30_000);
  const secs = (Date.now() - t0) / 1000;
  assert.equal(readFileSync(`${hostDir}/prestop`, 'utf8'), 'bye\n');
  assert.ok(secs >= 2 && secs < 15, `took ${secs}s for a TERM-ignoring container with grace 3s`);
  assert.ok((await reasons('grace')).includes('Killing'));
});

test('a restarted kubelet adopts running pods with zero restarts and catches up on what changed', async () => {
  await client.create(R.pods, pod('keep', [c('main', SLEEP, { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } }), c('side', SLEEP)]));
  await client.create(R.pods, pod('victim', [c('main', SLEEP)]));
  await client.create(R.pods, pod('doomed', [c('main', SLEEP)]));
  for (const n of ['keep', 'victim', 'doomed']) await until(n, 'Ready', (x) => x.status?.conditions?.find((k) => k.type === 'Ready')?.status === 'True');
  const before = await getPod('keep');
  const ids = before.status!.containerStatuses!.map((s) => s.containerID);
  const victimId = (await getPod('victim')).status!.containerStatuses![0]!.containerID!.replace(/^.*:\/\//, '');
  let readyFlips = 0;
  kubelet = await stack.restartKubelet(async () => {
    // While no kubelet runs: a container dies, a pod is deleted.
    await stack.ctr.cri.stopContainer(victimId, 0);
    await client.delete(R.pods, 'doomed', 'default');
  });
  const t0 = Date.now();
  while (Date.now() - t0 < 4000) {
    const p = await getPod('keep');
    if (p.status?.conditions?.find((k) => k.type === 'Ready')?.status !== 'True') readyFlips++;
    await new Promise((r) => setTimeout(r, 200));
  }
  const after = await getPod('keep');
  assert.deepEqual(after.status!.containerStatuses!.map((s) => s.containerID), ids);
  assert.deepEqual(after.status!.containerStatuses!.map((s) => s.restartCount), [0, 0]);
  assert.equal(readyFlips, 0, 'the adopted pod never went unready');
  await until('victim', 'restarted after the kubelet came back', (x) => x.status?.containerStatuses?.[0]?.restartCount === 1 && !!x.status.containerStatuses[0].state?.running);
  await waitFor('doomed removed', () => getPod('doomed').then(() => false, (e) => isNotFound(e)), 30_000);
});

test('startupProbe gates liveness, and a startup probe failing past failureThreshold restarts the container', async () => {
  // Liveness would fail at once; it must wait until the startup probe passes.
  await client.create(R.pods, pod('startup-gate', [c('main', SLEEP, {
    startupProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 60 },
    livenessProbe: { exec: { command: ['test', '-f', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 },
  })]));
  await client.create(R.pods, pod('startup-fail', [c('main', SLEEP, { startupProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } })]));
  await until('startup-gate', 'running', (x) => !!x.status?.containerStatuses?.[0]?.state?.running);
  await new Promise((r) => setTimeout(r, 3000)); // three liveness periods; asserts nothing happened
  let g = (await getPod('startup-gate')).status!.containerStatuses![0]!;
  assert.deepEqual([g.restartCount, g.started, g.ready], [0, false, false], 'not started, not killed by liveness meanwhile');
  await exec('startup-gate', 'main', ['touch', '/tmp/started']);
  await until('startup-gate', 'started', (x) => x.status?.containerStatuses?.[0]?.started === true);
  const p = await until('startup-gate', 'restarted by liveness once started', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  g = p.status!.containerStatuses![0]!;
  assert.ok(g.lastState?.terminated, JSON.stringify(g));
  const f = await until('startup-fail', 'restarted', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  assert.equal(f.status!.containerStatuses![0]!.started, false);
  const evs = (await client.list<Event>(R.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'startup-fail');
  assert.ok(evs.some((e) => e.reason === 'Unhealthy' && /^Startup probe failed/.test(e.message ?? '')), JSON.stringify(evs.map((e) => e.message)));
  assert.ok(evs.some((e) => e.reason === 'Killing' && /failed startup probe, will be restarted/.test(e.message ?? '')));
});

test('tcpSocket probes: readiness waits for the port, liveness on a closed port restarts', async () => {
  await client.create(R.pods, pod('tcp', [
    c('web', 'sleep 2; exec httpd -f -p 8080 -h /', { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }),
    c('closed', SLEEP, { livenessProbe: { tcpSocket: { port: 8081 }, periodSeconds: 1, failureThreshold: 2 } }),
  ]));
  let unreadyRunning = false;
  await until('tcp', 'web ready', (x) => {
    const w = x.status?.containerStatuses?.find((s) => s.name === 'web');
    if (w?.state?.running && !w.ready) unreadyRunning = true;
    return w?.ready === true;
  });
  assert.ok(unreadyRunning, 'web was running but not ready before its port opened');
  const p = await until('tcp', 'closed restarted', (x) => (x.status?.containerStatuses?.find((s) => s.name === 'closed')?.restartCount ?? 0) >= 1);
  assert.equal(p.status!.containerStatuses!.find((s) => s.name === 'web')!.restartCount, 0);
  const evs = (await client.list<Event>(R.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'tcp' && e.reason === 'Unhealthy');
  assert.ok(evs.some((e) => /^Liveness probe failed: dial tcp [\d.]+:8081: .*refused/.test(e.message ?? '')), JSON.stringify(evs.map((e) => e.message)));
});

test('imagePullPolicy: Never with a missing image is ErrImageNeverPull; Always pulls on every start', async () => {
  await client.create(R.pods, pod('never', [c('main', SLEEP, { image: 'busybox:not-here', imagePullPolicy: 'Never' })]));
  const n = await until('never', 'ErrImageNeverPull', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull');
  assert.equal(n.status!.containerStatuses![0]!.state!.waiting!.message, 'Container image "busybox:not-here" is not present with pull policy of Never');
  assert.equal(n.status!.phase, 'Pending');
  await waitFor('ErrImageNeverPull event', async () => (await reasons('never')).includes('ErrImageNeverPull'));

  await client.create(R.pods, pod('always', [c('main', 'exit 1', { imagePullPolicy: 'Always' })]));
  await until('always', 'restarted twice', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 40_000);
  const pulling = await waitFor('Pulling count ≥ 3', async () => {
    const l = await client.list<Event>(R.events, { namespace: 'default' });
    const e = l.items.find((x) => x.involvedObject.name === 'always' && x.reason === 'Pulling');
    return (e?.count ?? 0) >= 3 && e;
  });
  assert.equal(pulling.message, 'Pulling image "busybox"');
  assert.ok(!(await reasons('always')).includes('ErrImagePull'));
});

test('workingDir is the process\'s cwd; a 250m CPU limit is a 25 ms / 100 ms CFS quota in the container\'s cgroup', async () => {
  await client.create(R.pods, pod('wd-cpu', [c('main', `pwd > /pwd; ${SLEEP}`, { workingDir: '/opt/app', resources: { limits: { cpu: '250m', memory: '64Mi' } } })]));
  await until('wd-cpu', 'Running', (x) => x.status?.phase === 'Running');
  assert.equal(await exec('wd-cpu', 'main', ['cat', '/pwd']), '/opt/app\n');
  const quota = await exec('wd-cpu', 'main', ['sh', '-c', 'cat /sys/fs/cgroup/cpu.max 2>/dev/null || { cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us | tr "\\n" " "; }']);
  assert.equal(quota.trim(), '25000 100000');
  const mem = await exec('wd-cpu', 'main', ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes']);
  assert.equal(mem.trim(), String(64 * 1024 * 1024));
});
