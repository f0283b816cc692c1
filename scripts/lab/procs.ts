// Process plumbing for the lab: run a step and fail with its stderr, start a detached daemon
// (log in .lab/logs/<name>.log, pid in .lab/pids/<name>.pid), and read /proc to find which
// processes belong to the lab (by network / mount namespace, and their descendants).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { logsDir, pidsDir } from './config.js';
import { GiveUp } from './wait.js';

const STD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Daemons get a PATH that includes sbin (runc, iptables live there). */
export const daemonEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${process.env.PATH ? `${process.env.PATH}:` : ''}${STD_PATH}`,
  ...extra,
});

/** Runs a command to completion; throws with its stderr on failure; returns stdout. */
export function run(cmd: string, args: string[], env?: Record<string, string>): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: daemonEnv(env) });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** Like run() but never throws; for best-effort cleanup. */
export function tryRun(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', env: daemonEnv() });
    return true;
  } catch {
    return false;
  }
}

export function pidFile(name: string): string {
  return path.join(pidsDir, `${name}.pid`);
}

/** Process start time (clock ticks since boot), to tell a pid from a reused one. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The daemon's pid, or undefined if there is no pid file or the pid now names another process. */
export function readPid(name: string): number | undefined {
  try {
    const [pidStr, start] = readFileSync(pidFile(name), 'utf8').trim().split(' ');
    const pid = Number(pidStr);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return start === undefined || startTime(pid) === start ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Every pid file: name → pid (0 when that process is gone or the pid was reused). */
export function allPidFiles(): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(pidsDir)) return out;
  for (const f of readdirSync(pidsDir)) {
    if (f.endsWith('.pid')) out.set(f.slice(0, -4), readPid(f.slice(0, -4)) ?? 0);
  }
  return out;
}

/** Alive = exists and is not a zombie. */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Starts a detached daemon whose stdout/stderr go to .lab/logs/<name>.log. */
export function startDaemon(name: string, cmd: string, args: string[], env: Record<string, string> = {}): number {
  mkdirSync(logsDir, { recursive: true });
  mkdirSync(pidsDir, { recursive: true });
  const log = path.join(logsDir, `${name}.log`);
  const fd = openSync(log, 'a');
  writeFileSync(fd, `--- ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: daemonEnv(env) });
  closeSync(fd);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${name} (${cmd})`);
  writeFileSync(pidFile(name), `${child.pid} ${startTime(child.pid) ?? ''}`.trim() + '\n');
  return child.pid;
}

/** Throws (GiveUp) with the tail of its log if the named daemon is no longer running. */
export function assertRunning(name: string): void {
  if (alive(readPid(name))) return;
  let tail = '';
  try {
    tail = readFileSync(path.join(logsDir, `${name}.log`), 'utf8').trim().split('\n').slice(-5).join('\n  ');
  } catch {
    /* no log */
  }
  throw new GiveUp(`${name} exited (.lab/logs/${name}.log):\n  ${tail}`);
}

export function removePidFile(name: string): void {
  rmSync(pidFile(name), { force: true });
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  net?: string; // "net:[inode]"
  mnt?: string;
}

/** A snapshot of every process: parent, name and namespaces. */
export function scanProcs(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const info: ProcInfo = { pid: Number(d), ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close) };
      try {
        info.net = readlinkSync(`/proc/${d}/ns/net`);
        info.mnt = readlinkSync(`/proc/${d}/ns/mnt`);
      } catch {
        /* kernel thread or gone */
      }
      out.set(info.pid, info);
    } catch {
      /* exited while scanning */
    }
  }
  return out;
}

/** The pids in `roots` plus all their descendants, children first. */
export function withDescendants(procs: Map<number, ProcInfo>, roots: Set<number>): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (pid: number): void => {
    if (seen.has(pid)) return;
    seen.add(pid);
    for (const c of children.get(pid) ?? []) visit(c);
    order.push(pid);
  };
  for (const r of roots) visit(r);
  return order;
}

/** The v1/v2 cgroup paths of a process, as "hierarchy-mountpoint:path" pairs. */
export function cgroupsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}
