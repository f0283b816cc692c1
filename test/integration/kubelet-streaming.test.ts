// Logs, exec, attach, port-forward and top with the real kubectl through `tskube server` to the
// kubelet and the runtime: `kubectl logs` (tail, timestamps, previous, -f, since), `kubectl exec`
// (exit codes, stderr, stdin with EOF via v5.channel.k8s.io), `kubectl attach` (output, -i stdin),
// `kubectl port-forward` (SPDY in WebSocket), the
// kubelet's /stats/summary and `kubectl top` over metrics.k8s.io. Needs root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { freePort, kubectl, kubectlPath } from '../helpers/server.js';
import { startKubeletStack, waitFor, type KubeletStack } from './cri-kubelet-stack.js';

const NODE = 'kl-stream';
let stack: KubeletStack;
let client: ApiClient;
const dir = mkdtempSync('/tmp/tskube-kl-stream-');
const kubeconfig = join(dir, 'kubeconfig');
const k = (...args: string[]) => kubectl(kubeconfig, args);

function pod(name: string, script: string, extra: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }], ...extra } };
}
const running = (name: string) => waitFor(`${name} running`, async () => {
  const p = await client.get<Pod>(R.pods, name, 'default');
  return p.status?.containerStatuses?.[0]?.state?.running && p;
}, 30_000);

before(async () => {
  stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.254.0/24', hostLink: true, kubelet: { nodeIp: '127.0.0.1', crashLoopBackoffBaseMs: 500 } });
  client = stack.client;
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${client.server}"}}]\nusers: [{name: t, user: {}}]\ncontexts: [{name: t, context: {cluster: t, user: t}}]\ncurrent-context: t\n`);
  await client.create(R.pods, pod('talker', 'i=0; while true; do i=$((i+1)); echo "line $i"; echo "err $i" >&2; sleep 0.2; done'));
  await client.create(R.pods, pod('web', 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www'));
  await client.create(R.pods, pod('twice', 'echo "run $(date +%s)"; sleep 1; exit 1'));
  await client.create(R.pods, { metadata: { name: 'reader', namespace: 'default' }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox', stdin: true, stdinOnce: true, command: ['sh', '-c', 'while read l; do echo "got $l"; done'] }] } });
  await Promise.all([running('talker'), running('web'), running('reader')]);
});

after(async () => { await stack?.stop(); rmSync(dir, { recursive: true, force: true }); });

test('kubectl logs: whole, --tail, --timestamps, unknown container', async () => {
  await waitFor('5 lines', async () => (await k('logs', 'talker')).stdout.split('\n').length > 10);
  const all = await k('logs', 'talker');
  assert.equal(all.code, 0, all.stderr);
  // stdout and stderr are two pipes: each keeps its own order, their interleaving may vary.
  const lines = all.stdout.trim().split('\n');
  assert.deepEqual(lines.filter((l) => l.startsWith('line')).slice(0, 3), ['line 1', 'line 2', 'line 3']);
  assert.deepEqual(lines.filter((l) => l.startsWith('err')).slice(0, 3), ['err 1', 'err 2', 'err 3']);
  const tail = await k('logs', 'talker', '--tail=2');
  assert.equal(tail.stdout.trim().split('\n').length, 2);
  const ts = await k('logs', 'talker', '--tail=1', '--timestamps');
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (line|err) \d+\n$/);
  const bad = await k('logs', 'talker', '-c', 'nope');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /container nope is not valid for pod talker/);
});

test('kubectl logs -f streams new lines as they are written', async () => {
  const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'logs', '-f', '--tail=1', 'talker']);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  try {
    await waitFor('followed lines', async () => out.split('\n').filter(Boolean).length >= 6, 15_000);
    const nums = [...out.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(nums.length >= 2 && nums[nums.length - 1]! > nums[0]!, out);
  } finally { child.kill(); }
});

test('kubectl logs --previous shows the last terminated instance', async () => {
  const p = await waitFor('twice restarted', async () => {
    const x = await client.get<Pod>(R.pods, 'twice', 'default');
    return (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && x;
  }, 30_000);
  assert.ok(p);
  const prev = await k('logs', 'twice', '--previous');
  assert.equal(prev.code, 0, prev.stderr);
  assert.match(prev.stdout, /^run \d+\n$/);
});

test('kubectl exec: output, stderr and the exit code', async () => {
  const r = await k('exec', 'talker', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3');
  assert.equal(r.stdout, 'out\n');
  assert.match(r.stderr, /err\n/);
  assert.equal(r.code, 3);
  const ok = await k('exec', 'web', '--', 'cat', '/www/index.html');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'hello-from-pod\n');
});

test('kubectl exec -i: stdin reaches the process and EOF ends it', async () => {
  const r = await kubectl(kubeconfig, ['exec', '-i', 'talker', '--', 'sh', '-c', 'wc -l; cat /dev/null'], 'a\nb\nc\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '3');
});

test('kubectl attach: the running process\'s output, from now on', async () => {
  const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'attach', 'talker']);
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  try {
    // The container's stdout to kubectl's stdout, its stderr to kubectl's stderr.
    await waitFor(`attached output (${err})`, async () => (out.match(/line \d+/g) ?? []).length >= 3 && /err \d+/.test(err), 15_000);
    const nums = [...out.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(nums[0]! > 1, 'attach starts at the current output, not the log start');
  } finally { child.kill(); }
  const bad = await k('attach', 'talker', '-c', 'nope');
  assert.notEqual(bad.code, 0);
});

test('kubectl attach -i: stdin reaches the container\'s own process', async () => {
  const r = await kubectl(kubeconfig, ['attach', '-i', 'reader'], 'hello\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /got hello\n/);
});

test('kubectl port-forward reaches the pod\'s port', async () => {
  const port = await freePort();
  const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', `${port}:8080`]);
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  try {
    const body = await waitFor(`port-forward (${err})`, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/index.html`);
      return res.ok && res.text();
    }, 20_000, 300);
    assert.equal(body, 'hello-from-pod\n');
    // Several connections over the same forward.
    const again = await Promise.all([1, 2, 3].map(async () => (await fetch(`http://127.0.0.1:${port}/index.html`)).text()));
    assert.deepEqual(again, ['hello-from-pod\n', 'hello-from-pod\n', 'hello-from-pod\n']);
  } finally { child.kill(); }
});

test('stats/summary and kubectl top: a CPU burner shows up', async () => {
  await client.create(R.pods, { ...pod('burner', 'while true; do :; done'), metadata: { name: 'burner', namespace: 'default', labels: { app: 'burn' } } });
  await running('burner');
  const summary = await waitFor('burner cpu in summary', async () => {
    const s = await (await fetch(`http://127.0.0.1:${stack.kubeletPort}/stats/summary`)).json() as {
      node: { cpu: { usageNanoCores?: number; usageCoreNanoSeconds: number }; memory: { workingSetBytes: number }; fs: { capacityBytes: number } };
      pods: Array<{ podRef: { name: string }; cpu: { usageNanoCores?: number }; memory: { workingSetBytes: number }; network?: { rxBytes: number };
        containers: Array<{ name: string; cpu: { usageNanoCores?: number; usageCoreNanoSeconds: number }; memory: { workingSetBytes: number } }> }>;
    };
    const b = s.pods.find((p) => p.podRef.name === 'burner');
    return (b?.containers[0]?.cpu.usageNanoCores ?? 0) > 2e8 && s;
  }, 30_000, 1000);
  assert.ok(summary.node.cpu.usageCoreNanoSeconds > 0 && summary.node.memory.workingSetBytes > 0 && summary.node.fs.capacityBytes > 0);
  const web = summary.pods.find((p) => p.podRef.name === 'web')!;
  assert.ok(web.memory.workingSetBytes > 0);
  assert.equal(web.containers[0]!.name, 'main');
  assert.equal(typeof web.network?.rxBytes, 'number');

  const top = await waitFor('kubectl top pod burner', async () => {
    const r = await k('top', 'pod', 'burner', '--no-headers');
    const m = /^burner\s+(\d+)m\s+(\d+)Mi/.exec(r.stdout);
    return m && Number(m[1]) > 200 ? r : undefined;
  }, 30_000, 1000);
  assert.equal(top.code, 0, top.stderr);
  const all = await k('top', 'pods', '-l', 'app=burn', '--containers', '--no-headers');
  assert.match(all.stdout, /^burner\s+main\s+\d+m\s+\d+Mi/);
  const nodes = await k('top', 'nodes', '--no-headers');
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.match(nodes.stdout, new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
});

test('kubectl logs --since: only what was written in that window, cut by the kubelet', async () => {
  await waitFor('talker has run a few seconds', async () => (await k('logs', 'talker')).stdout.split('\n').length > 30, 30_000);
  const all = (await k('logs', 'talker')).stdout.trim().split('\n');
  const t0 = Date.now();
  const r = await k('logs', 'talker', '--since=1s', '--timestamps');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length > 0 && lines.length < all.length / 2, `${lines.length} of ${all.length} lines`);
  for (const l of lines) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\d*Z (line|err) \d+$/.exec(l);
    assert.ok(m, l);
    assert.ok(Date.parse(`${m[1]}Z`) >= t0 - 1000 - 50, `${l} is older than 1 s before ${new Date(t0).toISOString()}`);
  }
});
