// The lab's record of itself (.lab/state.json) and the checks built on it: is a lab up and
// healthy, and are there leftovers of a failed one (namespaces, the host veth, pid files).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { HOST_IF, LAB_NS, labDir, labNode, labNodes, lockFile, stateFile, type LabNode, type LabState } from './config.js';
import { alive, allPidFiles, run, startTime, tryRun } from './procs.js';

export function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** The node called `name` as the running lab made it (its address and runtime). */
export function stateNode(name: string): LabNode {
  const s = readState();
  return (s && labNodes(s.workers, s.dockerWorkers ?? 0).find((n) => n.name === name)) ??
    labNode(name, name === 'master' ? 0 : Number(name.replace(/^worker-/, '')));
}

export function writeState(s: LabState): void {
  mkdirSync(labDir, { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(s, null, 2)}\n`);
}

export function removeState(): void {
  rmSync(stateFile, { force: true });
}

/** Names of the lab's network namespaces that exist now. */
export function labNamespaces(): string[] {
  const out = run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n === LAB_NS || n === 'tskube-master' || /^tskube-worker-\d+$/.test(n));
}

/** Daemons recorded in .lab/pids that are not running. */
export function deadDaemons(): string[] {
  return [...allPidFiles()].filter(([, pid]) => !alive(pid)).map(([name]) => name);
}

export function leftovers(): boolean {
  return (
    existsSync(stateFile) ||
    labNamespaces().length > 0 ||
    tryRun('ip', ['link', 'show', HOST_IF]) ||
    allPidFiles().size > 0
  );
}

/** One `lab up`/`down` at a time: returns a release function, or the pid holding the lock. */
export function lock(): (() => void) | number {
  mkdirSync(labDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, `${process.pid} ${startTime(process.pid) ?? ''}\n`);
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch {
      const [pid, start] = readFileSync(lockFile, 'utf8').trim().split(' ');
      if (alive(Number(pid)) && (!start || startTime(Number(pid)) === start)) return Number(pid);
      rmSync(lockFile, { force: true }); // stale: its owner is gone
    }
  }
  return 0;
}
