// The kubelet through the lab with the real kubectl, on both runtimes at once: one lab with a
// containerd worker (worker-1) and a Docker worker (worker-2, dockerd behind tskube's dockershim),
// every scenario run on each in parallel — an init container filling an emptyDir that nginx
// serves, CrashLoopBackOff with growing restarts, a liveness restart, readiness gating Service
// endpoints, OOMKilled, configMap/secret/tmpfs volumes, logs -f, exec, port-forward, top, and
// an agent killed and restarted without any container restarting.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { freePort, kubectl, kubectlPath, repoRoot, waitFor } from '../helpers/server.js';
import { labLeftovers } from '../helpers/lab.js';
import { alive, readPid } from '../../scripts/lab/procs.js';
import { restartAgent } from '../../scripts/lab/cluster.js';

const tskube = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const k = (...args: string[]) => kubectl(kubeconfig, args);
const apply = (yaml: string) => kubectl(kubeconfig, ['apply', '-f', '-'], yaml);
const json = async (...args: string[]) => { const r = await k(...args, '-o', 'json'); assert.equal(r.code, 0, r.stderr); return JSON.parse(r.stdout); };
const cs = async (pod: string, i = 0) => (await json('get', 'pod', pod)).status?.containerStatuses?.[i] ?? {};

/** One worker per runtime; pods are pinned with a nodeSelector and named with the suffix. */
interface Rt { runtime: 'containerd' | 'docker'; node: string; ip: string; other: string; x: string }
const RTS: Rt[] = [
  { runtime: 'containerd', node: 'worker-1', ip: '192.168.56.11', other: 'worker-2', x: 'c' },
  { runtime: 'docker', node: 'worker-2', ip: '192.168.56.12', other: 'worker-1', x: 'd' },
];

/** Runs fn for every runtime as parallel subtests; skip: runtime → one-line reason. */
async function onBoth(t: TestContext, fn: (rt: Rt) => Promise<void>, skip: Partial<Record<Rt['runtime'], string>> = {}): Promise<void> {
  await Promise.all(RTS.map((rt) => t.test(`on ${rt.runtime} (${rt.node})`, { skip: skip[rt.runtime] ?? false }, () => fn(rt))));
}
const both = { concurrency: true };

const SHARED = `
apiVersion: v1
kind: ConfigMap
metadata: {name: site}
data: {greeting: "hello from a configmap"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: "s3cret"}
`;

const manifest = ({ node, x }: Rt) => `
apiVersion: v1
kind: Pod
metadata: {name: web-init-${x}, labels: {app: web-init-${x}}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
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
metadata: {name: crash-${x}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  containers: [{name: main, image: busybox, command: [sh, -c, "echo crashing; exit 1"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: live-${x}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "touch /tmp/ok; sleep 3; rm /tmp/ok; sleep 3600"]
    livenessProbe: {exec: {command: [test, -f, /tmp/ok]}, periodSeconds: 1, failureThreshold: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: gate-${x}, labels: {app: gate-${x}}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
    readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: gate-${x}}
spec: {selector: {app: gate-${x}}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: oom-${x}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  restartPolicy: Never
  containers: [{name: main, image: busybox, command: [sh, -c, "sleep 1; tail /dev/zero"], resources: {limits: {memory: 24Mi}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: talker-${x}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  containers: [{name: main, image: busybox, command: [sh, -c, "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done"]}]
`;

/** Created only for the top test (two busy loops would slow every other test on 2 cores). */
const burner = ({ node, x }: Rt) => `
apiVersion: v1
kind: Pod
metadata: {name: burner-${x}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  terminationGracePeriodSeconds: 0
  containers: [{name: main, image: busybox, command: [sh, -c, "while true; do :; done"]}]
`;

before(() => {
  const down = tskube('lab', 'down');
  assert.equal(down.status, 0, down.stderr);
  const up = tskube('lab', 'up', '--workers', '2', '--docker-workers', '1');
  assert.equal(up.status, 0, up.stdout + up.stderr);
});
after(() => { tskube('lab', 'down'); });

test('apply: every pod reaches its expected state; each worker reports its runtime', both, async (t) => {
  await waitFor('3 Ready nodes', async () => (await k('get', 'nodes', '--no-headers')).stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 3, 60_000);
  const wide = await k('get', 'nodes', '-o', 'wide', '--no-headers');
  assert.match(wide.stdout, /^worker-1\s.*\scontainerd:\/\/\S+$/m);
  assert.match(wide.stdout, /^worker-2\s.*\sdocker:\/\/\d+\.\d+\S*$/m);
  assert.match(tskube('lab', 'status').stdout, /worker-2\s+tskube-worker-2\s+docker\s+holder \d+\s+dockerd \d+\s+dockershim \d+\s+agent \d+/);
  const again = tskube('lab', 'up', '--workers', '2', '--docker-workers', '1');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /already up \(master, worker-1, worker-2\); nothing to do/);
  const r = await apply([SHARED, ...RTS.map(manifest)].join('---\n'));
  assert.equal(r.code, 0, r.stderr);
  await onBoth(t, async ({ x, node }) => {
    await waitFor(`web-init-${x} Ready`, async () => (await cs(`web-init-${x}`)).ready === true, 90_000, 500);
    assert.equal((await json('get', 'pod', `web-init-${x}`)).spec.nodeName, node);
  });
});

test('init container output served by nginx, volumes mounted', both, (t) => onBoth(t, async ({ x, other }) => {
  const p = await json('get', 'pod', `web-init-${x}`);
  assert.equal(p.status.initContainerStatuses[0].state.terminated.reason, 'Completed');
  const curl = tskube('lab', 'exec', other, '--', 'curl', '-s', '--max-time', '5', `http://${p.status.podIP}/`);
  assert.equal(curl.stdout, 'filled-by-init\n', curl.stderr);
  const files = await k('exec', `web-init-${x}`, '-c', 'shell', '--', 'sh', '-c', 'cat /etc/site/greeting; echo; cat /etc/creds/password; echo; grep " /cache " /proc/mounts');
  assert.equal(files.code, 0, files.stderr);
  assert.match(files.stdout, /^hello from a configmap\ns3cret\ntmpfs \/cache tmpfs /);
}));

test('a crashing container reaches CrashLoopBackOff with growing restarts', both, (t) => onBoth(t, async ({ x }) => {
  const seen = new Set<number>();
  await waitFor('CrashLoopBackOff, 2 restarts', async () => {
    const s = await cs(`crash-${x}`);
    if (s.state?.waiting?.reason === 'CrashLoopBackOff') seen.add(s.restartCount);
    return seen.size >= 2;
  }, 150_000, 500); // back-off doubles from 10 s: a late start may wait out a 40 s one
  const get = await k('get', 'pod', `crash-${x}`, '--no-headers');
  assert.match(get.stdout, /CrashLoopBackOff|Error/);
  const logs = await k('logs', `crash-${x}`);
  assert.match(logs.stdout, /crashing/);
}));

test('a failing liveness probe restarts the container', both, (t) => onBoth(t, async ({ x }) => {
  await waitFor('live restarted', async () => (await cs(`live-${x}`)).restartCount >= 1, 30_000, 500);
  const ev = await k('get', 'events', '--field-selector', `involvedObject.name=live-${x}`, '--no-headers');
  assert.match(ev.stdout, /Unhealthy/);
  assert.match(ev.stdout, /failed liveness probe, will be restarted/);
}));

test('readiness gates the Service endpoints', both, (t) => onBoth(t, async ({ x }) => {
  const eps = async () => (await json('get', 'endpoints', `gate-${x}`)).subsets?.flatMap((s: { addresses?: unknown[] }) => s.addresses ?? []).length ?? 0;
  await waitFor('gate running', async () => !!(await cs(`gate-${x}`)).state?.running, 30_000, 500);
  assert.equal(await eps(), 0);
  assert.equal((await k('exec', `gate-${x}`, '--', 'touch', '/tmp/ready')).code, 0);
  await waitFor('gate endpoint', async () => (await eps()) === 1, 30_000, 500);
}));

test('a memory hog is OOMKilled', both, (t) => onBoth(t, async ({ x }) => {
  const s = await waitFor('oom terminated', async () => { const c = await cs(`oom-${x}`); return c.state?.terminated && c; }, 60_000, 500);
  assert.equal(s.state.terminated.reason, 'OOMKilled');
  assert.equal(s.state.terminated.exitCode, 137);
}));

test('kubectl logs -f, exec, port-forward', both, (t) => onBoth(t, async ({ x }) => {
  const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'logs', '-f', `talker-${x}`]);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  try { await waitFor('followed ticks', async () => (out.match(/tick/g) ?? []).length >= 5, 20_000); } finally { child.kill(); }
  assert.match(out, /^tick \d+\ntick \d+\n/);
  const ex = await kubectl(kubeconfig, ['exec', '-i', `talker-${x}`, '--', 'sh', '-c', 'read x; echo got $x; exit 4'], 'abc\n');
  assert.equal(ex.stdout, 'got abc\n');
  assert.equal(ex.code, 4);
  const port = await freePort();
  const pf = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'port-forward', `pod/web-init-${x}`, `${port}:80`]);
  try {
    const body = await waitFor('port-forward', async () => { const r = await fetch(`http://127.0.0.1:${port}/`); return r.ok && r.text(); }, 20_000, 300);
    assert.equal(body, 'filled-by-init\n');
  } finally { pf.kill(); }
}));

test('kubectl top nodes and pods; the burners burn', both, async (t) => {
  assert.equal((await apply(RTS.map(burner).join('---\n'))).code, 0);
  try {
    await onBoth(t, async ({ x }) => {
      await waitFor(`top pod burner-${x} > 300m`, async () => {
        const m = /^burner-\w\s+(\d+)m/.exec((await k('top', 'pod', `burner-${x}`, '--no-headers')).stdout);
        return m && Number(m[1]) > 300;
      }, 60_000, 2000);
    });
    const nodes = await k('top', 'nodes', '--no-headers');
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.equal(nodes.stdout.trim().split('\n').length, 3);
  } finally {
    await k('delete', 'pod', 'burner-c', 'burner-d', '--wait=false');
  }
});

test('kubectl get --raw /api/v1/nodes/<node>/proxy/…: the kubelet\'s stats and metrics through the API server; others are refused', both, (t) => onBoth(t, async ({ node }) => {
  const summary = await k('get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`);
  assert.equal(summary.code, 0, summary.stderr);
  const s = JSON.parse(summary.stdout) as { node: { nodeName: string; cpu: { usageCoreNanoSeconds: number } }; pods: Array<{ podRef: { name: string } }> };
  assert.equal(s.node.nodeName, node);
  assert.ok(s.node.cpu.usageCoreNanoSeconds > 0);
  assert.ok(s.pods.length > 0, 'the node\'s pods are in its summary');
  const metrics = await k('get', '--raw', `/api/v1/nodes/${node}/proxy/metrics`);
  assert.equal(metrics.code, 0, metrics.stderr);
  assert.match(metrics.stdout, /^kubelet_running_pods \d+/m);
  assert.equal((await k('get', '--raw', '/api/v1/nodes/no-such-node/proxy/healthz')).code, 1);
  // nodes/proxy is a cluster-admin power: a ServiceAccount without a binding is refused.
  const forbidden = await k('get', '--raw', `/api/v1/nodes/${node}/proxy/healthz`, '--as', 'system:serviceaccount:default:default');
  assert.notEqual(forbidden.code, 0);
  assert.match(forbidden.stderr, /forbidden|Forbidden/);
}));

test('the agent is killed and restarted: no container restarts', both, (t) => onBoth(t, async ({ x, node, ip }) => {
  const pod = `web-init-${x}`;
  const before = await json('get', 'pod', pod);
  const ids = before.status.containerStatuses.map((c: { containerID: string }) => c.containerID);
  const pid = readPid(`agent-${node}`);
  assert.ok(pid, `agent-${node} is running`);
  process.kill(pid, 'SIGKILL');
  await waitFor('agent gone', async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 10_000);
  restartAgent(node);
  // The kubelet API is HTTPS with client certificates in a secure lab: ask as the admin.
  const secure = /server: https:/.test(readFileSync(join(repoRoot, '.lab/kubeconfig'), 'utf8'));
  const pki = join(repoRoot, '.lab/pki');
  const healthz = secure
    ? ['curl', '-sf', '--cacert', join(pki, 'ca.crt'), '--cert', join(pki, 'admin.crt'), '--key', join(pki, 'admin.key'), `https://${ip}:10250/healthz`]
    : ['curl', '-sf', 'http://127.0.0.1:10250/healthz'];
  await waitFor('agent back (kubelet answers)', async () => tskube('lab', 'exec', node, '--', ...healthz).stdout === 'ok', 30_000, 500);
  await new Promise((r) => setTimeout(r, 5000)); // several PLEG relists and probe periods
  const after = await json('get', 'pod', pod);
  assert.deepEqual(after.status.containerStatuses.map((c: { containerID: string }) => c.containerID), ids);
  assert.deepEqual(after.status.containerStatuses.map((c: { restartCount: number }) => c.restartCount), [0, 0]);
  assert.equal(after.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
}));

test('lab down stops both runtimes\' containers and daemons and leaves nothing behind', () => {
  const dockerd = readPid('dockerd-worker-2');
  assert.ok(dockerd, 'dockerd-worker-2 is running');
  const down = tskube('lab', 'down');
  assert.equal(down.status, 0, down.stderr);
  assert.equal(alive(dockerd), false, 'dockerd is gone');
  assert.deepEqual(labLeftovers(), []);
});
