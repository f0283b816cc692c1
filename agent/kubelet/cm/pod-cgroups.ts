// Pod cgroups: the runtime creates <cgroupRoot>/pod<uid> under every mounted hierarchy when it
// starts the sandbox (cgroupfs driver); the kubelet removes those directories after the
// sandbox is gone (rmdir, deepest first), in v1 controllers and the unified hierarchy alike.
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_FS = '/sys/fs/cgroup';

function hierarchies(): string[] {
  try {
    const entries = readdirSync(CGROUP_FS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(CGROUP_FS, e.name));
    // cgroup v2 only: the root itself is the hierarchy.
    return existsSync(join(CGROUP_FS, 'cgroup.controllers')) ? [CGROUP_FS] : entries;
  } catch {
    return [];
  }
}

function rmTree(dir: string): boolean {
  if (!existsSync(dir)) return true;
  let ok = true;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) ok = rmTree(join(dir, e.name)) && ok;
  try { rmdirSync(dir); } catch { ok = false; }
  return ok;
}

/** Removes a pod's cgroup directories; returns false if some were still busy. */
export function removePodCgroups(cgroupParent: string): boolean {
  let ok = true;
  for (const h of hierarchies()) ok = rmTree(join(h, cgroupParent)) && ok;
  return ok;
}
