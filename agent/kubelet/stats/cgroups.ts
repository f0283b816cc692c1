// cAdvisor's job, small: CPU and memory of a cgroup (cgroup v1 cpuacct/memory, or the unified
// v2 files), the machine's from /proc, a network namespace's interface counters from
// /proc/<pid>/net/dev, and filesystem capacity from statfs. Readings are cumulative; rates come
// from stats/rates.ts.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const CG = '/sys/fs/cgroup';
const read = (p: string): string | undefined => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } };
const num = (s: string | undefined): number | undefined => (s === undefined || s.trim() === '' || s.trim() === 'max' ? undefined : Number(s.trim()));
function kv(s: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of (s ?? '').split('\n')) { const [k, v] = l.split(/\s+/); if (k && v) m.set(k, Number(v)); }
  return m;
}

export interface CgroupReading { cpuNs?: number; memUsage?: number; workingSet?: number; rss?: number; pageFaults?: number; majorPageFaults?: number }

/** Reads the cgroup at `path` (e.g. /tskube/worker-1/pod<uid>). Undefined fields were not readable. */
export function readCgroup(path: string): CgroupReading | undefined {
  const v2 = existsSync(join(CG, 'cgroup.controllers'));
  if (v2) {
    const dir = join(CG, path);
    if (!existsSync(dir)) return undefined;
    const cpu = kv(read(join(dir, 'cpu.stat')));
    const ms = kv(read(join(dir, 'memory.stat')));
    const usage = num(read(join(dir, 'memory.current')));
    const usec = cpu.get('usage_usec');
    return { cpuNs: usec !== undefined ? usec * 1000 : undefined, memUsage: usage, workingSet: usage !== undefined ? Math.max(0, usage - (ms.get('inactive_file') ?? 0)) : undefined,
      rss: ms.get('anon'), pageFaults: ms.get('pgfault'), majorPageFaults: ms.get('pgmajfault') };
  }
  const cpuDir = existsSync(join(CG, 'cpuacct')) ? join(CG, 'cpuacct', path) : join(CG, 'cpu,cpuacct', path);
  const memDir = join(CG, 'memory', path);
  if (!existsSync(cpuDir) && !existsSync(memDir)) return undefined;
  const ms = kv(read(join(memDir, 'memory.stat')));
  const usage = num(read(join(memDir, 'memory.usage_in_bytes')));
  return {
    cpuNs: num(read(join(cpuDir, 'cpuacct.usage'))),
    memUsage: usage,
    workingSet: usage !== undefined ? Math.max(0, usage - (ms.get('total_inactive_file') ?? 0)) : undefined,
    rss: ms.get('total_rss'), pageFaults: ms.get('total_pgfault'), majorPageFaults: ms.get('total_pgmajfault'),
  };
}

export interface MachineReading { cpuNs: number; memTotal: number; memAvailable: number; memUsage: number; workingSet: number }

/** The whole machine: /proc/stat busy time (USER_HZ = 100), /proc/meminfo. */
export function readMachine(): MachineReading {
  const cpu = (read('/proc/stat') ?? '').split('\n').find((l) => l.startsWith('cpu '))?.split(/\s+/).slice(1).map(Number) ?? [];
  const busy = cpu.reduce((a, b, i) => (i === 3 || i === 4 ? a : a + (b || 0)), 0); // all but idle, iowait
  const mi = new Map((read('/proc/meminfo') ?? '').split('\n').map((l) => { const m = /^(\w+):\s+(\d+)/.exec(l); return m ? [m[1]!, Number(m[2]) * 1024] as const : ['', 0] as const; }));
  const total = mi.get('MemTotal') ?? 0, avail = mi.get('MemAvailable') ?? 0, free = mi.get('MemFree') ?? 0;
  return { cpuNs: busy * 1e7, memTotal: total, memAvailable: avail, memUsage: total - free, workingSet: total - avail };
}

export interface NetReading { name: string; rxBytes: number; txBytes: number; rxErrors: number; txErrors: number }

/** Interfaces (but lo) of the network namespace process pid lives in. */
export function readNetDev(pid: number | 'self'): NetReading[] {
  const out: NetReading[] = [];
  for (const l of (read(`/proc/${pid}/net/dev`) ?? '').split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(l);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out.push({ name: m[1]!, rxBytes: f[0]!, rxErrors: f[2]!, txBytes: f[8]!, txErrors: f[10]! });
  }
  return out;
}

export interface FsReading { capacityBytes: number; availableBytes: number; usedBytes: number; inodes: number; inodesFree: number; inodesUsed: number }

export function readFs(path: string): FsReading | undefined {
  try {
    const s = statfsSync(path);
    const cap = s.blocks * s.bsize, avail = s.bavail * s.bsize;
    return { capacityBytes: cap, availableBytes: avail, usedBytes: (s.blocks - s.bfree) * s.bsize, inodes: s.files, inodesFree: s.ffree, inodesUsed: s.files - s.ffree };
  } catch { return undefined; }
}
