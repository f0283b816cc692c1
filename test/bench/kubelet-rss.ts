// Agent (kubelet + kube-proxy + node network) memory and idle CPU with 30 running pods, measured
// on a lab worker: VmRSS of the agent process and its CPU time over a quiet window, beside a bare
// Node.js process (the runtime's own floor) measured in the same run. Uses the lab (take the lock).
// Usage: flock /tmp/tskube-lab.lock node dist/test/bench/kubelet-rss.js [PODS=30]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, repoRoot, waitFor } from '../helpers/server.js';
import { readPid } from '../../scripts/lab/procs.js';

const tskube = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const HZ = 100;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}
async function sample(pid: number, ms: number): Promise<{ rss: number; cpuPct: number }> {
  const t0 = Date.now(), c0 = cpuTicks(pid);
  let rss = 0;
  while (Date.now() - t0 < ms) { rss = Math.max(rss, rssMiB(pid)); await new Promise((r) => setTimeout(r, 500)); }
  return { rss, cpuPct: ((cpuTicks(pid) - c0) / HZ) / ((Date.now() - t0) / 1000) * 100 };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 30);
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  try {
    tskube('lab', 'down');
    const up = tskube('lab', 'up');
    if (up.status !== 0) throw new Error(up.stdout + up.stderr);
    await waitFor('3 Ready nodes', async () => (await kubectl(kubeconfig, ['get', 'nodes', '--no-headers'])).stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 3, 60_000);
    const pid = readPid('agent-worker-1')!;
    const idle0 = await sample(pid, 10_000);
    const pods = Array.from({ length: n }, (_, i) => `apiVersion: v1\nkind: Pod\nmetadata: {name: rss-${i}, labels: {bench: rss}}\nspec:\n  nodeName: worker-1\n  terminationGracePeriodSeconds: 1\n  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]\n`).join('---\n');
    const ap = await kubectl(kubeconfig, ['apply', '-f', '-'], pods);
    if (ap.code !== 0) throw new Error(ap.stderr);
    await waitFor(`${n} pods running`, async () => {
      const r = await kubectl(kubeconfig, ['get', 'pods', '-l', 'bench=rss', '--no-headers']);
      return r.stdout.split('\n').filter((l) => /\sRunning\s/.test(l)).length === n;
    }, 180_000, 1000);
    // Right after the burst of 30 starts, then once the heap it grew has been given back.
    const burst = await sample(pid, 20_000);
    await new Promise((r) => setTimeout(r, 10_000));
    const busy = await sample(pid, 20_000);
    const raw = await sample(bare.pid!, 5_000);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const flags = argv.slice(argv.findIndex((a) => /node$/.test(a)) + 1, argv.findIndex((a) => a.endsWith('tskube.js')));
    // glibc parses GLIBC_TUNABLES in place, leaving a NUL where each ':' was.
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').replace(/\0(?=glibc\.)/g, ':').split('\0');
    const malloc = environ.filter((e) => /^(MALLOC_ARENA_MAX|GLIBC_TUNABLES)=/.test(e)).join(' ');
    console.log(`agent (kubelet + kube-proxy + network) on lab worker-1, ${n} running pods`);
    console.log(`agent runs as: node ${flags.join(' ')}${malloc ? ` (${malloc})` : ''}`);
    console.log(`${''.padEnd(38)} ${'RSS MiB'.padStart(8)} ${'CPU %'.padStart(7)}  (max RSS over each window)`);
    console.log(`${'agent, 0 pods (10 s)'.padEnd(38)} ${idle0.rss.toFixed(1).padStart(8)} ${idle0.cpuPct.toFixed(2).padStart(7)}`);
    console.log(`${`agent, ${n} pods, 0–20 s after Running`.padEnd(38)} ${burst.rss.toFixed(1).padStart(8)} ${burst.cpuPct.toFixed(2).padStart(7)}`);
    console.log(`${`agent, ${n} pods, idle (30–50 s after)`.padEnd(38)} ${busy.rss.toFixed(1).padStart(8)} ${busy.cpuPct.toFixed(2).padStart(7)}`);
    console.log(`${'raw: bare node process'.padEnd(38)} ${raw.rss.toFixed(1).padStart(8)} ${raw.cpuPct.toFixed(2).padStart(7)}`);
    console.log(`targets: RSS ≤ 64 MB (61.0 MiB) with ${n} running pods, idle CPU ≤ 2 %`);
  } finally {
    bare.kill();
    tskube('lab', 'down');
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
