// Raw CRI timings on a private containerd (test/integration/cri-containerd.ts), image present:
// RunPodSandbox, CreateContainer, StartContainer, StopContainer, StopPodSandbox+Remove, medians
// over N pods. The baseline the kubelet's pod startup is compared with. Usage: cri-raw.js [N]
import { performance } from 'node:perf_hooks';
import { startTestContainerd } from '../integration/cri-containerd.js';
import type { CriRuntime } from '../../agent/cri/runtime.js';
import type { PodSandboxConfigIn } from '../../agent/cri/types.js';

export type Timings = Record<string, number[]>;

export const STEPS = ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'start total', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox'] as const;

/** One pod's worth of raw CRI calls, each timed; `cgroupRoot` parents the pod cgroup. */
export async function rawPodCycle(cri: CriRuntime, i: number, cgroupRoot: string, t: Timings): Promise<void> {
  const uid = `bench-${process.pid}-${i}`;
  const cfg: PodSandboxConfigIn = {
    metadata: { name: `bench-${i}`, namespace: 'default', uid, attempt: 0 },
    hostname: `bench-${i}`,
    dns_config: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    linux: { cgroup_parent: `${cgroupRoot}/pod${uid}` },
  };
  const time = async <T>(step: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    (t[step] ??= []).push(performance.now() - t0);
    return r;
  };
  const t0 = performance.now();
  const sb = await time('RunPodSandbox', () => cri.runPodSandbox(cfg));
  const id = await time('CreateContainer', () => cri.createContainer(sb, {
    metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox' }, command: ['sleep', '3600'],
  }, cfg));
  await time('StartContainer', () => cri.startContainer(id));
  (t['start total'] ??= []).push(performance.now() - t0);
  await time('StopContainer', () => cri.stopContainer(id, 0));
  await time('RemoveContainer', () => cri.removeContainer(id));
  await time('StopPodSandbox', () => cri.stopPodSandbox(sb));
  await time('RemovePodSandbox', () => cri.removePodSandbox(sb));
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
}

export function table(t: Timings): string {
  const rows = STEPS.filter((s) => t[s]).map((s) => {
    const xs = t[s]!;
    return `${s.padEnd(18)} ${quantile(xs, 0.5).toFixed(1).padStart(8)} ${quantile(xs, 0.9).toFixed(1).padStart(8)} ${Math.min(...xs).toFixed(1).padStart(8)} ${String(xs.length).padStart(4)}`;
  });
  return [`${'step (ms)'.padEnd(18)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'min'.padStart(8)} ${'n'.padStart(4)}`, ...rows].join('\n');
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20);
  const t0 = performance.now();
  const ctr = await startTestContainerd();
  const startup = performance.now() - t0;
  try {
    await ctr.cri.pullImage({ image: 'busybox' });
    const t1 = performance.now();
    await ctr.cri.pullImage({ image: 'busybox' });
    const warmPull = performance.now() - t1;
    await rawPodCycle(ctr.cri, -1, ctr.cgroupRoot, {}); // warm-up: pulls the pause image
    const t: Timings = {};
    for (let i = 0; i < n; i++) await rawPodCycle(ctr.cri, i, ctr.cgroupRoot, t);
    console.log(`raw CRI on containerd ${(await ctr.cri.version()).runtime_version}, ${n} pods, image present`);
    console.log(`harness start → CRI answers ${startup.toFixed(0)} ms (incl. image build check), warm PullImage ${warmPull.toFixed(1)} ms`);
    console.log(table(t));
  } finally {
    await ctr.stop();
  }
}

if (process.argv[1]?.endsWith('cri-raw.js')) main().catch((e) => { console.error(e); process.exit(1); });
