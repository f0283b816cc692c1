// The kubelet through the lab with the real kubectl: an init container filling an emptyDir that
// nginx serves, CrashLoopBackOff with growing restarts, a liveness restart, readiness gating
// Service endpoints, OOMKilled, configMap/secret/tmpfs volumes, logs -f, exec, port-forward,
// top, and an agent killed and restarted without any container restarting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { freePort, kubectl, kubectlPath, repoRoot, waitFor } from '../helpers/server.js';
import { readPid } from '../../scripts/lab/procs.js';
import { restartAgent } from '../../scripts/lab/cluster.js';

const tskube = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const k = (...args: string[]) => kubectl(kubeconfig, args);
const apply = (yaml: string) => kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], yaml);
const json = async (...args: string[]) => { const r = await k(...args, '-o', 'json'); assert.equal(r.code, 0, r.stderr); return JSON.parse(r.stdout); };
const cs = async (pod: string, i = 0) => (await json('get', 'pod', pod)).status?.containerStatuses?.[i] ?? {};

const MANIFEST = `
apiVersion: v1
kind: ConfigMap
metadata: {name: site}
data: {greeting: "hello from a configmap"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: "s3cret"}
---
apiVersion: v1
kind: Pod
metadata: {name: web-init, labels: {app: web-init}}
spec:
  nodeSelector: {kubernetes.io/hostname: worker-1}
  initContainers:
  - {name: fill, image: busybox, command: [sh, -c, "echo filled-by-init > /html/index.html"], volumeMounts: [{name: html, mountPath: /html}]}
  containers:
  - name: nginx
    image: nginx
    ports: [{containerPort: 80, name: http}]
    readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}
    volumeMounts:
    - {name: html, mountPath: /usr/share/nginx/html}
  - name: shell
    image: busybox
    command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
    volumeMounts:
    - {name: cfg, mountPath: /etc/site}
    - {name: sec, mountPath: /etc/creds}
    - {name: cache, mountPath: /cache}
  volumes:
  - {name: html, emptyDir: {}}
  - {name: cfg, configMap: {name: site}}
  - {name: sec, secret: {secretName: creds}}
  - {name: cache, emptyDir: {medium: Memory}}
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers: [{name: main, image: busybox, command: [sh, -c, "echo crashing; exit 1"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "touch /tmp/ok; sleep 3; rm /tmp/ok; sleep 3600"]
    livenessProbe: {exec: {command: [test, -f, /tmp/ok]}, periodSeconds: 1, failureThreshold: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: gate, labels: {app: gate}}
spec:
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
    readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: gate}
spec: {selector: {app: gate}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers: [{name: main, image: busybox, command: [sh, -c, "sleep 1; tail /dev/zero"], resources: {limits: {memory: 24Mi}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  containers: [{name: main, image: busybox, command: [sh, -c, "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: burner}
spec:
  containers: [{name: main, image: busybox, command: [sh, -c, "while true; do :; done"]}]
`;

before(() => {
  const down = tskube('lab', 'down');
  assert.equal(down.status, 0, down.stderr);
  const up = tskube('lab', 'up');
  assert.equal(up.status, 0, up.stdout + up.stderr);
});
after(() => { tskube('lab', 'down'); });

test('apply: every pod reaches its expected state', async () => {
  await waitFor('3 Ready nodes', async () => (await k('get', 'nodes', '--no-headers')).stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 3, 60_000);
  const r = await apply(MANIFEST);
  assert.equal(r.code, 0, r.stderr);
  await waitFor('web-init Ready', async () => (await cs('web-init')).ready === true, 60_000, 500);
});

test('init container output served by nginx, volumes mounted', async () => {
  const p = await json('get', 'pod', 'web-init');
  assert.equal(p.status.initContainerStatuses[0].state.terminated.reason, 'Completed');
  const curl = tskube('lab', 'exec', 'worker-2', '--', 'curl', '-s', `http://${p.status.podIP}/`);
  assert.equal(curl.stdout, 'filled-by-init\n', curl.stderr);
  const files = await k('exec', 'web-init', '-c', 'shell', '--', 'sh', '-c', 'cat /etc/site/greeting; echo; cat /etc/creds/password; echo; grep " /cache " /proc/mounts');
  assert.equal(files.code, 0, files.stderr);
  assert.match(files.stdout, /^hello from a configmap\ns3cret\ntmpfs \/cache tmpfs /);
});

test('a crashing container reaches CrashLoopBackOff with growing restarts', async () => {
  const seen = new Set<number>();
  await waitFor('CrashLoopBackOff, 2 restarts', async () => {
    const s = await cs('crash');
    if (s.state?.waiting?.reason === 'CrashLoopBackOff') seen.add(s.restartCount);
    return seen.size >= 2;
  }, 60_000, 500);
  const get = await k('get', 'pod', 'crash', '--no-headers');
  assert.match(get.stdout, /CrashLoopBackOff|Error/);
});

test('a failing liveness probe restarts the container', async () => {
  await waitFor('live restarted', async () => (await cs('live')).restartCount >= 1, 30_000, 500);
  const ev = await k('get', 'events', '--field-selector', 'involvedObject.name=live', '--no-headers');
  assert.match(ev.stdout, /Unhealthy/);
  assert.match(ev.stdout, /failed liveness probe, will be restarted/);
});

test('readiness gates the Service endpoints', async () => {
  const eps = async () => (await json('get', 'endpoints', 'gate')).subsets?.flatMap((s: { addresses?: unknown[] }) => s.addresses ?? []).length ?? 0;
  await waitFor('gate running', async () => !!(await cs('gate')).state?.running, 30_000, 500);
  assert.equal(await eps(), 0);
  assert.equal((await k('exec', 'gate', '--', 'touch', '/tmp/ready')).code, 0);
  await waitFor('gate endpoint', async () => (await eps()) === 1, 30_000, 500);
});

test('a memory hog is OOMKilled', async () => {
  const s = await waitFor('oom terminated', async () => { const x = await cs('oom'); return x.state?.terminated && x; }, 60_000, 500);
  assert.equal(s.state.terminated.reason, 'OOMKilled');
});

test('kubectl logs -f, exec, port-forward', async () => {
  const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'logs', '-f', 'talker']);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  try { await waitFor('followed ticks', async () => (out.match(/tick/g) ?? []).length >= 5, 20_000); } finally { child.kill(); }
  const ex = await kubectl(kubeconfig, ['exec', '-i', 'talker', '--', 'sh', '-c', 'read x; echo got $x; exit 4'], 'abc\n');
  assert.equal(ex.stdout, 'got abc\n');
  assert.equal(ex.code, 4);
  const port = await freePort();
  const pf = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web-init', `${port}:80`]);
  try {
    const body = await waitFor('port-forward', async () => { const r = await fetch(`http://127.0.0.1:${port}/`); return r.ok && r.text(); }, 20_000, 300);
    assert.equal(body, 'filled-by-init\n');
  } finally { pf.kill(); }
});

test('kubectl top nodes and pods; the burner burns', async () => {
  await waitFor('top pod burner > 300m', async () => {
    const m = /^burner\s+(\d+)m/.exec((await k('top', 'pod', 'burner', '--no-headers')).stdout);
    return m && Number(m[1]) > 300;
  }, 60_000, 2000);
  const nodes = await k('top', 'nodes', '--no-headers');
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.equal(nodes.stdout.trim().split('\n').length, 3);
});

test('the agent is killed and restarted: no container restarts', async () => {
  const before = await json('get', 'pod', 'web-init');
  const ids = before.status.containerStatuses.map((c: { containerID: string }) => c.containerID);
  const pid = readPid('agent-worker-1');
  assert.ok(pid, 'agent-worker-1 is running');
  process.kill(pid, 'SIGKILL');
  await waitFor('agent gone', async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 10_000);
  restartAgent('worker-1');
  // The kubelet API is HTTPS with client certificates in a secure lab: ask as the admin.
  const secure = /server: https:/.test(readFileSync(join(repoRoot, '.lab/kubeconfig'), 'utf8'));
  const pki = join(repoRoot, '.lab/pki');
  const healthz = secure
    ? ['curl', '-sf', '--cacert', join(pki, 'ca.crt'), '--cert', join(pki, 'admin.crt'), '--key', join(pki, 'admin.key'), 'https://192.168.56.11:10250/healthz']
    : ['curl', '-sf', 'http://127.0.0.1:10250/healthz'];
  await waitFor('agent back (kubelet answers)', async () => tskube('lab', 'exec', 'worker-1', '--', ...healthz).stdout === 'ok', 30_000, 500);
  await new Promise((r) => setTimeout(r, 5000)); // several PLEG relists and probe periods
  const after = await json('get', 'pod', 'web-init');
  assert.deepEqual(after.status.containerStatuses.map((c: { containerID: string }) => c.containerID), ids);
  assert.deepEqual(after.status.containerStatuses.map((c: { restartCount: number }) => c.restartCount), [0, 0]);
  assert.equal(after.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
});
