// The walking skeleton, end to end, as a user would do it: lab up from nothing, kubectl apply
// the docs' nginx Deployment + a ClusterIP Service, pods Running one per worker, the Service IP
// answering from both pods on every node, scale, delete, lab down leaving nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, repoRoot, waitFor } from '../helpers/server.js';
import { labLeftovers } from '../helpers/lab.js';
import { fetchFromKubeconfig } from '../helpers/tls.js';
import { connectCri } from '../../agent/cri/client.js';
import { rawPodCycle, quantile, type Timings } from '../bench/cri-raw.js';

const tskube = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const k = (...args: string[]) => kubectl(kubeconfig, args);
const manifest = join(repoRoot, 'scripts/demo/nginx.yaml');
const nodes = ['master', 'worker-1', 'worker-2'];

interface PodView { name: string; phase: string; ready: boolean; node?: string; ip?: string; reason?: string }
async function pods(selector = 'app=nginx'): Promise<PodView[]> {
  const r = await k('get', 'pods', '-l', selector, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => ({
    name: p.metadata.name, phase: p.status?.phase, node: p.spec.nodeName, ip: p.status?.podIP,
    ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    reason: p.status?.containerStatuses?.[0]?.state?.waiting?.reason,
  }));
}
const allRunning = (n: number) => async () => { const ps = await pods(); return ps.length === n && ps.every((p) => p.phase === 'Running' && p.ready) && ps; };

before(() => {
  const down = tskube('lab', 'down');
  assert.equal(down.status, 0, down.stderr);
});
after(() => {
  // Always leave the machine clean, even when a step failed.
  tskube('lab', 'down');
});

let podNames: string[] = [];
let startupMs: number[] = [];

test('1. lab up from nothing; a second up does not break it', () => {
  const t0 = Date.now();
  const up = tskube('lab', 'up');
  assert.equal(up.status, 0, up.stdout + up.stderr);
  console.log(`# lab up: ${Date.now() - t0} ms`);
  assert.ok(existsSync(kubeconfig));
  const again = tskube('lab', 'up');
  assert.equal(again.status, 0, again.stderr);
});

test('2-3. nginx Deployment + Service applied; two pods Running, one on each worker', async () => {
  await waitFor('3 Ready nodes', async () => {
    const r = await k('get', 'nodes', '--no-headers');
    return r.stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 3;
  }, 60_000);
  // Pod startup measured through a watch: apply → each pod seen Running.
  const seenRunning = new Map<string, number>();
  const ac = new AbortController();
  const api = fetchFromKubeconfig(kubeconfig);
  const watching = (async () => {
    const res = await api('/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dnginx', { signal: ac.signal });
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString();
      const lines = buf.split('\n'); buf = lines.pop()!;
      for (const l of lines) {
        const ev = JSON.parse(l);
        if (ev.object.status?.phase === 'Running' && !seenRunning.has(ev.object.metadata.name)) seenRunning.set(ev.object.metadata.name, Date.now());
      }
    }
  })().catch(() => {});
  const t0 = Date.now();
  const applied = await k('apply', '-f', manifest);
  assert.equal(applied.code, 0, applied.stderr);
  const ps = await waitFor('2 nginx pods Running and Ready', allRunning(2), 90_000, 250);
  ac.abort();
  await watching;
  startupMs = [...seenRunning.values()].map((t) => t - t0);
  assert.deepEqual(ps.map((p) => p.node).sort(), ['worker-1', 'worker-2']);
  const wide = await k('get', 'pods', '-o', 'wide');
  for (const p of ps) assert.match(wide.stdout, new RegExp(`${p.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.ip!.replace(/\./g, '\\.')}\\s+${p.node}`));
  console.log(wide.stdout.replace(/^/gm, '# '));
  podNames = ps.map((p) => p.name);
});

test('pod startup beside raw CRI on the same node (a first look; issue 4 sets targets)', async () => {
  const sock = join(repoRoot, '.lab/nodes/worker-1/containerd.sock');
  const cri = await connectCri(`unix://${sock}`);
  const t: Timings = {};
  try {
    await cri.pullImage({ image: 'busybox' });
    for (let i = 0; i < 5; i++) await rawPodCycle(cri, i, '/tskube/worker-1', t);
  } finally { cri.close(); }
  const raw = t['start total']!;
  console.log('# pod startup (ms)                         p50      max');
  console.log(`# tskube: apply → Running (watch)     ${quantile(startupMs, 0.5).toFixed(0).padStart(8)} ${Math.max(...startupMs).toFixed(0).padStart(8)}   (Deployment → ReplicaSet → Pod → schedule → kubelet → CRI)`);
  console.log(`# raw CRI: sandbox+create+start       ${quantile(raw, 0.5).toFixed(0).padStart(8)} ${Math.max(...raw).toFixed(0).padStart(8)}   (same containerd, worker-1)`);
  assert.equal(startupMs.length, 2);
});

test('4. from every node, 20 requests to the Service IP are answered by both pods', async () => {
  const ip = (await k('get', 'svc', 'nginx', '-o', 'jsonpath={.spec.clusterIP}')).stdout.trim();
  assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
  await waitFor('Service endpoints', async () => (await k('get', 'ep', 'nginx', '-o', 'jsonpath={.subsets[0].addresses[*].ip}')).stdout.trim().split(' ').length === 2);
  for (const node of nodes) {
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const r = tskube('lab', 'exec', node, '--', 'curl', '-s', '-o', '/dev/null', '-D', '-', '--max-time', '5', `http://${ip}/`);
      assert.equal(r.status, 0, `curl from ${node}: ${r.stderr}`);
      const who = /X-Pod-Name: (\S+)/i.exec(r.stdout)?.[1];
      assert.ok(who, `no X-Pod-Name header from ${node}: ${r.stdout}`);
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    console.log(`# ${node}: ${[...seen].map(([p, n]) => `${p}=${n}`).join(' ')}`);
    assert.deepEqual([...seen.keys()].sort(), [...podNames].sort(), `${node} reached both pods`);
  }
});

test('bad input: a pod whose image does not exist shows ErrImagePull/ImagePullBackOff; nginx keeps serving', async () => {
  const r = await kubectl(kubeconfig, ['run', 'ghost', '--image=does-not-exist:1', '--labels=app=ghost']);
  assert.equal(r.code, 0, r.stderr);
  await waitFor('ErrImagePull or ImagePullBackOff', async () => {
    const p = (await pods('app=ghost'))[0];
    return p && /^(ErrImagePull|ImagePullBackOff)$/.test(p.reason ?? '') && p;
  }, 60_000, 250);
  const get = await k('get', 'pod', 'ghost');
  assert.match(get.stdout, /ghost\s+0\/1\s+(ErrImagePull|ImagePullBackOff)/);
  assert.equal((await pods()).filter((p) => p.phase === 'Running').length, 2);
  await k('delete', 'pod', 'ghost', '--wait=false');
});

test('5. scale to 4: all Running; delete removes pods and their containers from containerd', async () => {
  assert.equal((await k('scale', 'deployment/nginx-deployment', '--replicas=4')).code, 0);
  const ps = await waitFor('4 nginx pods Running', allRunning(4), 90_000, 250);
  const perNode = ps.reduce((m, p) => m.set(p.node!, (m.get(p.node!) ?? 0) + 1), new Map<string, number>());
  assert.deepEqual([...perNode.entries()].sort(), [['worker-1', 2], ['worker-2', 2]]);
  const del = await k('delete', '-f', manifest, '--timeout=90s');
  assert.equal(del.code, 0, del.stderr);
  await waitFor('nginx pods gone from the API', async () => (await pods()).length === 0 && (await k('get', 'pods', '-l', 'app=nginx', '-o', 'name')).stdout.trim() === '', 90_000, 250);
  await waitFor('no nginx containers left in any containerd', () => nodes.every((n) => {
    const sock = join(repoRoot, '.lab/nodes', n, 'containerd.sock');
    const out = execFileSync('ctr', ['-a', sock, '-n', 'k8s.io', 'containers', 'ls'], { encoding: 'utf8' });
    return !/library\/nginx/.test(out);
  }), 60_000, 500);
});

test('6. lab down leaves no namespace, process, veth, mount, cgroup or rule behind', () => {
  const down = tskube('lab', 'down');
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(labLeftovers(), []);
});
