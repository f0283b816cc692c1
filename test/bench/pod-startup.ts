// Pod startup through the whole chain on one node — API create → scheduler-free pod (nodeName
// set) → kubelet → runtime → Running observed by a watch — beside the raw CRI time of the same
// steps (RunPodSandbox + CreateContainer + StartContainer) on the same runtime; on Docker
// (dockerd behind the dockershim) also beside raw `docker run -d` on the same dockerd.
// Usage: pod-startup.js [N=20] [--runtime containerd|docker] [--burst COUNT --rate PODS_PER_S]
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { R } from '../../control/client/resources.js';
import { startKubeletStack, waitFor, type TestRuntimeName } from '../integration/cri-kubelet-stack.js';
import { quantile, rawPodCycle, type Timings } from './cri-raw.js';
import { rawDockerRuns } from './docker-raw.js';

const NODE = 'bench-node';

function benchPod(name: string): Pod {
  return {
    metadata: { name, namespace: 'default', labels: { bench: 'startup' } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  };
}

const row = (label: string, xs: number[]) =>
  `${label.padEnd(34)} ${quantile(xs, 0.5).toFixed(0).padStart(6)} ${quantile(xs, 0.9).toFixed(0).padStart(6)} ${quantile(xs, 0.99).toFixed(0).padStart(6)} ${Math.min(...xs).toFixed(0).padStart(6)} ${String(xs.length).padStart(4)}`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
  const burstAt = args.indexOf('--burst');
  const burst = burstAt >= 0 ? Number(args[burstAt + 1]) : 0;
  const rate = args.includes('--rate') ? Number(args[args.indexOf('--rate') + 1]) : 5;
  const runtime = (args.includes('--runtime') ? args[args.indexOf('--runtime') + 1] : 'containerd') as TestRuntimeName;
  if (runtime !== 'containerd' && runtime !== 'docker') throw new Error(`--runtime wants containerd or docker, got ${runtime}`);

  const stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.252.0/24', runtime });
  const { client, kubelet, ctr } = stack;
  try {
    await kubelet.cri.pullImage({ image: 'busybox' });
    await rawPodCycle(kubelet.cri, -1, ctr.cgroupRoot, {}); // warm: pause image, CNI
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    const waiters = new Map<string, { ok: () => void; fail: (e: Error) => void }>();
    const w = client.watch<Pod>(R.pods, { namespace: 'default', labelSelector: 'bench=startup' }, (_t, p) => {
      const name = p.metadata!.name!;
      if (p.status?.phase === 'Running' && created.has(name) && !running.has(name)) {
        running.set(name, performance.now());
        waiters.get(name)?.ok();
      }
      // A pod the kubelet rejects (OutOfpods, …) would otherwise be waited for forever.
      if (p.status?.phase === 'Failed') waiters.get(name)?.fail(new Error(`pod ${name} failed: ${p.status.reason}: ${p.status.message}`));
    });
    const startPod = async (name: string) => {
      const seen = new Promise<void>((ok, fail) => waiters.set(name, { ok, fail }));
      created.set(name, performance.now());
      await client.create(R.pods, benchPod(name));
      await seen;
      return running.get(name)! - created.get(name)!;
    };
    await startPod('warmup');
    /** Deletes every bench pod through the API, as a user would, and waits until they are gone. */
    const deleteBenchPods = async () => {
      const pods = await client.list<Pod>(R.pods, { namespace: 'default', labelSelector: 'bench=startup' });
      await Promise.all(pods.items.map((p) => client.delete(R.pods, p.metadata!.name!, 'default')));
      await waitFor('bench pods deleted', async () => (await client.list(R.pods, { namespace: 'default' })).items.length === 0, 120_000, 250);
    };

    const seq: number[] = [];
    for (let i = 0; i < n; i++) seq.push(await startPod(`seq-${i}`));
    const raw: Timings = {};
    for (let i = 0; i < n; i++) await rawPodCycle(kubelet.cri, i, ctr.cgroupRoot, raw);
    if (runtime === 'docker') await rawDockerRuns(join(ctr.dir, 'docker.sock'), n, raw);

    const burstTimes: number[] = [];
    if (burst > 0) {
      // The burst lands on an empty node (as upstream's node-throughput test): the sequential
      // pods go first, or the node's 110-pod capacity would turn some of the burst away.
      await deleteBenchPods();
      const all: Promise<number>[] = [];
      for (let i = 0; i < burst; i++) {
        all.push(startPod(`burst-${i}`));
        await new Promise((r) => setTimeout(r, 1000 / rate));
      }
      burstTimes.push(...(await Promise.all(all)));
    }
    w.stop();

    const rawTotal = raw['start total']!;
    const v = await kubelet.cri.version();
    console.log(`pod startup on ${v.runtime_name} ${v.runtime_version}${runtime === 'docker' ? ' (dockershim)' : ''}, image present, ${n} sequential pods`);
    console.log(`${'ms'.padEnd(34)} ${'p50'.padStart(6)} ${'p90'.padStart(6)} ${'p99'.padStart(6)} ${'min'.padStart(6)} ${'n'.padStart(4)}`);
    console.log(row('kubelet: create → Running (watch)', seq));
    console.log(row('raw CRI: RunPodSandbox+Create+Start', rawTotal));
    for (const s of ['RunPodSandbox', 'CreateContainer', 'StartContainer']) console.log(row(`  raw ${s}`, raw[s]!));
    for (const s of ['docker run -d (CLI)', 'create+start (API)']) if (raw[s]) console.log(row(`raw docker: ${s}`, raw[s]));
    if (burstTimes.length) console.log(row(`kubelet: ${burst} pods at ${rate}/s`, burstTimes));
    console.log(`ratio p50 kubelet/raw CRI = ${(quantile(seq, 0.5) / quantile(rawTotal, 0.5)).toFixed(2)} (target ≤ 2)`);
    const dockerRun = raw['docker run -d (CLI)'] ?? raw['create+start (API)'];
    if (dockerRun) console.log(`ratio p50 kubelet/raw docker run = ${(quantile(seq, 0.5) / quantile(dockerRun, 0.5)).toFixed(2)} (target ≤ 2)`);

    await deleteBenchPods();
  } finally {
    await stack.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
