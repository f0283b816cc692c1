// `tskube lab down`: removes every process, cgroup, mount, veth and namespace the lab made,
// whatever state a previous `up` left (pid files, state.json or only namespaces). Processes
// are found by namespace, not by name: the holders' mount ns, the lab's network namespaces,
// and everything descending from them (pod processes live in their own netns under shims).
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { logger } from '../../control/client/log.js';
import { HOST_IF, labDir, labNode } from './config.js';
import { alive, allPidFiles, cgroupsOf, scanProcs, tryRun, withDescendants, type ProcInfo } from './procs.js';
import { labNamespaces, lock, readState, removeState } from './state.js';
import { sleep } from './wait.js';

const log = logger('lab');

export async function down(opts: { quiet?: boolean; locked?: boolean } = {}): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('tskube: run as root (sudo npm run lab -- down)');
    return 1;
  }
  const release = opts.locked ? () => {} : lock();
  if (typeof release === 'number') {
    console.error(`tskube lab: another lab up/down is running (pid ${release})`);
    return 1;
  }
  try {
    return await downLocked(opts);
  } finally {
    release();
  }
}

async function downLocked(opts: { quiet?: boolean }): Promise<number> {
  const t = performance.now();
  const state = readState();
  const namespaces = labNamespaces();
  const pidfiles = allPidFiles();
  const hostIf = tryRun('ip', ['link', 'show', HOST_IF]);
  const cgroupTree = existsSync('/sys/fs/cgroup/memory/tskube') || existsSync('/sys/fs/cgroup/cpu/tskube');
  if (!state && namespaces.length === 0 && pidfiles.size === 0 && !hostIf && !cgroupTree) {
    if (!opts.quiet) console.log('tskube lab: nothing to tear down');
    return 0;
  }

  // 1. Processes: graceful stop for server and agents, then kill the rest from the leaves up.
  const cgroups = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const procs = scanProcs();
    const mine = labProcesses(procs, namespaces, pidfiles);
    if (mine.length === 0) break;
    const name = (pid: number): string => [...pidfiles].find(([, p]) => p === pid)?.[0] ?? procs.get(pid)?.comm ?? '';
    // Containers' cgroups (not the daemons': those sit in the caller's cgroup, as does the
    // containerd a node's dockerd runs).
    for (const pid of mine) {
      if (!pidfiles.has(name(pid)) && !/^(containerd|dockerd)/.test(name(pid))) for (const l of cgroupsOf(pid)) cgroups.add(l);
    }
    const graceful = mine.filter((p) => /^(server|agent-)/.test(name(p)));
    await kill(graceful, 'SIGTERM', 3000);
    // Containers first, then the daemons (dockerd before the containerd it would restart),
    // the holders last.
    const late = (p: number): number => {
      const n = name(p);
      if (/^holder-/.test(n)) return 3;
      if (n === 'containerd') return 2; // a dockerd's own containerd (no pid file)
      return /^(containerd-|dockerd-|dockershim-|registry)/.test(n) ? 1 : 0;
    };
    for (const tier of [0, 1, 2, 3]) await kill(mine.filter((p) => late(p) === tier), 'SIGKILL', 5000);
  }

  // 2. cgroups the lab's processes used, and the agents' cgroup roots.
  const nodes = state?.nodes ?? namespaces.filter((n) => n !== 'tskube-lab').map((n) => n.slice('tskube-'.length));
  removeCgroups(cgroups, nodes);

  // 3. Network: the host veth (its peer goes with it), then the namespaces.
  if (tryRun('ip', ['link', 'show', HOST_IF])) tryRun('ip', ['link', 'del', HOST_IF]);
  for (const ns of labNamespaces()) tryRun('ip', ['netns', 'del', ns]);

  // 4. Mounts left in the root namespace under .lab (none normally: they live in the holders').
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  for (const m of mounts.filter((m) => m.startsWith(`${labDir}/`)).reverse()) tryRun('umount', ['-l', m]);

  // 5. Files: everything but the logs; host mount points the lab created, if still empty.
  for (const d of ['nodes', 'pids', 'master', 'pki', 'kubeconfig']) rmSync(path.join(labDir, d), { recursive: true, force: true });
  // A dying holder's mount ns is released a moment after it exits: retry EBUSY briefly.
  for (const d of state?.createdDirs ?? []) {
    for (let i = 0; i < 50 && existsSync(d); i++) {
      try {
        rmdirSync(d);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY') break; // not empty: someone else's now
        await sleep(20);
      }
    }
  }
  removeState();

  const left = labProcesses(scanProcs(), labNamespaces(), new Map());
  if (left.length > 0 || labNamespaces().length > 0) {
    console.error(`tskube lab: down left processes ${left.join(' ')} / namespaces ${labNamespaces().join(' ')}`);
    return 1;
  }
  if (!opts.quiet) console.log(`tskube lab: down in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return 0;
}

/** Pids of the lab: in a lab netns or a holder's mount ns, recorded in pid files, or below those. */
function labProcesses(procs: Map<number, ProcInfo>, namespaces: string[], pidfiles: Map<string, number>): number[] {
  const nets = new Set<string>();
  for (const ns of namespaces) {
    try {
      nets.add(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
    } catch {
      /* already gone */
    }
  }
  // Daemons' namespaces count too (their netns file may already be gone); never our own.
  const self = procs.get(process.pid);
  const mnts = new Set<string>();
  for (const [name, pid] of pidfiles) {
    const p = procs.get(pid);
    if (p?.net && p.net !== self?.net) nets.add(p.net);
    if (name.startsWith('holder-') && p?.mnt && p.mnt !== self?.mnt) mnts.add(p.mnt);
  }
  const roots = new Set<number>(cgroupTreePids());
  for (const p of procs.values()) {
    if ((p.net && nets.has(p.net)) || (p.mnt && mnts.has(p.mnt))) roots.add(p.pid);
  }
  for (const pid of pidfiles.values()) if (alive(pid)) roots.add(pid); // start time checked
  // Never ourselves or our ancestors (e.g. `lab exec master -- tskube lab down`).
  for (let p: number | undefined = process.pid; p && p > 1; p = procs.get(p)?.ppid) roots.delete(p);
  return withDescendants(procs, roots).filter((p) => p !== process.pid);
}

async function kill(pids: number[], signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (pids.length === 0) return;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(20);
  const stuck = pids.filter(alive);
  if (stuck.length > 0 && signal !== 'SIGKILL') await kill(stuck, 'SIGKILL', timeoutMs);
  else if (stuck.length > 0) log.warn({ stuck }, 'processes survived SIGKILL');
}

/**
 * Processes in the pods' cgroups under /tskube/<node>/ in any hierarchy: containers whose
 * shim is already gone are found here even when their network namespace is not the lab's.
 */
function cgroupTreePids(): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    let entries: string[];
    try { entries = readdirSync(dir); } catch { return; }
    try {
      for (const l of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch { /* not a cgroup dir */ }
    for (const e of entries) {
      const sub = path.join(dir, e);
      try { if (statSync(sub).isDirectory()) walk(sub); } catch { /* raced away */ }
    }
  };
  let hierarchies: string[] = [];
  try { hierarchies = readdirSync('/sys/fs/cgroup'); } catch { /* no cgroupfs */ }
  for (const h of hierarchies) walk(path.join('/sys/fs/cgroup', h, 'tskube'));
  return [...pids];
}

/** Removes the cgroups the lab's processes sat in (below the top level) and the /tskube tree. */
function removeCgroups(lines: Set<string>, nodes: string[]): void {
  const mounts = cgroupMountpoints();
  const own = new Set(cgroupsOf(process.pid).map((l) => cgroupDir(mounts, l)));
  const dirs = new Set<string>();
  for (const line of lines) {
    const dir = cgroupDir(mounts, line);
    // Never our own cgroup or one of its ancestors, never a top-level mount itself.
    if (!dir || [...own].some((o) => o && (o === dir || o.startsWith(`${dir}/`)))) continue;
    dirs.add(dir);
  }
  for (const mp of mounts.values()) for (const n of nodes) dirs.add(path.join(mp, labNode(n, 0).cgroupRoot));
  for (const dir of dirs) rmCgroupTree(dir);
  // /tskube is the lab's own cgroup root in every hierarchy: nothing else lives there.
  for (const mp of mounts.values()) rmCgroupTree(path.join(mp, 'tskube'));
}

function rmCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmCgroupTree(path.join(dir, e.name));
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      // EBUSY for a moment while killed tasks are still being released.
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i >= 50) {
        log.warn({ dir, err: (err as Error).message }, 'could not remove cgroup');
        return;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** A /proc/<pid>/cgroup line ("4:memory:/a/b") → its directory on the host. */
function cgroupDir(mounts: Map<string, string>, line: string): string | undefined {
  const m = /^\d+:([^:]*):(.*)$/.exec(line);
  const mp = m ? mounts.get(m[1]!) : undefined;
  return mp && m![2] !== '/' ? path.join(mp, m![2]!) : undefined;
}

/** "cpu" → /sys/fs/cgroup/cpu, "name=systemd" → …/systemd, "" (v2) → …/unified. */
function cgroupMountpoints(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    const mp = pre?.split(' ')[4] ?? '';
    if (!post || !mp.startsWith('/sys/fs/cgroup/')) continue;
    const [fstype, , opts = ''] = post.split(' ');
    const key = fstype === 'cgroup2' ? '' : opts.split(',').filter((o) => o !== 'rw' && o !== 'ro').join(',');
    out.set(key, mp);
  }
  return out;
}
