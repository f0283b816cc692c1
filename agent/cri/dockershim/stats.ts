// ContainerStats / ListContainerStats from cgroup files, not docker's slow stats API: the
// container's cgroup path comes from /proc/<pid>/cgroup (cpuacct/memory, cgroupfs driver), read
// with the kubelet's cAdvisor-lite reader; the writable layer is overlay2's upper dir.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { readCgroup } from '../../kubelet/stats/cgroups.js';
import type * as gen from '../types.js';
import type { ShimContext } from './context.js';
import type { ContainerService } from './container.js';

interface Known { pid: number; cgroup: string; upper?: string }

/** The cgroup path of a process in the memory (or unified) hierarchy. */
export function cgroupOf(pid: number): string | undefined {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { return undefined; }
  const lines = text.split('\n').map((l) => l.split(':'));
  const mem = lines.find((l) => l[1]?.split(',').includes('memory')) ?? lines.find((l) => l[0] === '0' && l[1] === '');
  return mem?.slice(2).join(':');
}

/** Bytes and inodes under dir (not following links), capped so a huge layer cannot stall a call. */
export function diskUsage(dir: string, cap = 20_000): { bytes: number; inodes: number } {
  let bytes = 0, inodes = 0;
  const stack = [dir];
  while (stack.length && inodes < cap) {
    const d = stack.pop()!;
    let names: string[];
    try { names = readdirSync(d); } catch { continue; }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = lstatSync(p);
        inodes++;
        bytes += st.size;
        if (st.isDirectory()) stack.push(p);
      } catch { /* gone */ }
    }
  }
  return { bytes, inodes };
}

export class StatsProvider {
  private known = new Map<string, Known>();

  constructor(private readonly c: ShimContext, private readonly containers: ContainerService) {}

  private async locate(id: string): Promise<Known | undefined> {
    const k = this.known.get(id);
    if (k && cgroupOf(k.pid) === k.cgroup) return k;
    let info: Docker.ContainerInspectInfo;
    try { info = await this.containers.inspect(id); } catch { return undefined; }
    if (!info.State.Running || !info.State.Pid) { this.known.delete(id); return undefined; }
    const cgroup = cgroupOf(info.State.Pid);
    if (!cgroup) return undefined;
    const upper = (info.GraphDriver?.Data as Record<string, string> | undefined)?.UpperDir;
    const found = { pid: info.State.Pid, cgroup, ...(upper ? { upper } : {}) };
    this.known.set(id, found);
    return found;
  }

  async stats(c: gen.Container): Promise<gen.ContainerStats | null> {
    const k = await this.locate(c.id);
    const now = (BigInt(Date.now()) * 1_000_000n).toString();
    const u = (v: number | undefined) => (v === undefined ? null : { value: String(Math.max(0, Math.round(v))) });
    const cg = k ? readCgroup(k.cgroup) : undefined;
    const disk = k?.upper ? diskUsage(k.upper) : undefined;
    return {
      attributes: { id: c.id, metadata: c.metadata, labels: c.labels, annotations: c.annotations },
      cpu: { timestamp: now, usage_core_nano_seconds: u(cg?.cpuNs), usage_nano_cores: null },
      memory: { timestamp: now, working_set_bytes: u(cg?.workingSet), available_bytes: null, usage_bytes: u(cg?.memUsage),
        rss_bytes: u(cg?.rss), page_faults: u(cg?.pageFaults), major_page_faults: u(cg?.majorPageFaults) },
      writable_layer: { timestamp: now, fs_id: { mountpoint: k?.upper ?? '' }, used_bytes: u(disk?.bytes ?? 0), inodes_used: u(disk?.inodes ?? 0) },
    } as unknown as gen.ContainerStats;
  }

  async list(filter: gen.ContainerStatsFilterIn | undefined): Promise<gen.ContainerStats[]> {
    const cs = await this.containers.list({ id: filter?.id, pod_sandbox_id: filter?.pod_sandbox_id, label_selector: filter?.label_selector, state: { state: 'CONTAINER_RUNNING' } });
    for (const id of this.known.keys()) if (!cs.some((c) => c.id === id)) this.known.delete(id);
    const out = await Promise.all(cs.map((c) => this.stats(c)));
    return out.filter((s): s is gen.ContainerStats => s !== null);
  }
}
