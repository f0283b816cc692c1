// The lab's record of itself (.lab/state.json) and the checks built on it: is a lab up and
// healthy, and are there leftovers of a failed one (namespaces, the host veth, pid files).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { HOST_IF, LAB_NS, labDir, stateFile, type LabState } from './config.js';
import { alive, allPidFiles, tryRun, run } from './procs.js';

export function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
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
