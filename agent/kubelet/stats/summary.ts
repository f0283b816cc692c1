// The kubelet Summary API (/stats/summary, stats.k8s.io/v1alpha1 shape): the node (machine CPU
// and memory, network of the node's namespace, the root dir's filesystem, the image fs) and
// every pod (its cgroup's CPU and memory, its sandbox's network, per-container CPU, memory,
// rootfs and log usage from CRI ListContainerStats). usageNanoCores are rates between samples
// that one housekeeping timer keeps fresh.
import { statSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { CriRuntime } from '../../cri/runtime.js';
import type { KubeletConfig } from '../config.js';
import { CONTAINER_NAME, POD_UID } from '../kuberuntime/labels.js';
import { podCgroupParent } from '../kuberuntime/sandbox-config.js';
import { nsToTime, rfc3339 } from '../util/time.js';
import { readCgroup, readFs, readMachine, readNetDev, type NetReading } from './cgroups.js';
import { Rates } from './rates.js';

type U = { value?: string | number } | null | undefined;
const val = (x: U): number | undefined => (x && x.value !== undefined ? Number(x.value) : undefined);

export interface CpuStats { time: string; usageNanoCores?: number; usageCoreNanoSeconds?: number }
export interface MemStats { time: string; availableBytes?: number; usageBytes?: number; workingSetBytes?: number; rssBytes?: number; pageFaults?: number; majorPageFaults?: number }

function net(time: string, ifs: NetReading[]) {
  const main = ifs.find((i) => i.name === 'eth0') ?? ifs[0];
  return { time, ...(main ?? { name: 'eth0', rxBytes: 0, txBytes: 0, rxErrors: 0, txErrors: 0 }), interfaces: ifs };
}

export class SummaryProvider {
  private rates = new Rates();
  private sandboxPids = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private readonly started = rfc3339();

  constructor(private readonly cri: CriRuntime, private readonly cfg: KubeletConfig, private readonly pods: () => Pod[]) {}

  /** One housekeeping sample every periodMs so rates exist when someone asks. */
  start(periodMs = 10_000): void {
    this.timer = setInterval(() => { this.summary().catch(() => undefined); }, periodMs);
    this.timer.unref?.();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  private cpu(key: string, time: string, coreNs: number | undefined, nanoCores?: number): CpuStats {
    const rate = coreNs !== undefined ? this.rates.observe(key, coreNs) : undefined;
    return { time, usageCoreNanoSeconds: coreNs, usageNanoCores: nanoCores || (rate !== undefined ? Math.round(rate) : undefined) };
  }

  private async sandboxPid(id: string): Promise<number | undefined> {
    if (this.sandboxPids.has(id)) return this.sandboxPids.get(id);
    try {
      const r = await this.cri.podSandboxStatus(id, true);
      const info = JSON.parse((r.info as Record<string, string>)?.info ?? '{}') as { pid?: number };
      if (info.pid) this.sandboxPids.set(id, info.pid);
      return info.pid;
    } catch { return undefined; }
  }

  async summary(): Promise<unknown> {
    const time = rfc3339();
    const [sandboxes, containers, cstats, imageFs] = await Promise.all([
      this.cri.listPodSandbox(), this.cri.listContainers(), this.cri.listContainerStats(), this.cri.imageFsInfo().catch(() => undefined),
    ]);
    const live = new Set<string>(['node']);
    const m = readMachine();
    const rootFs = readFs(this.cfg.rootDir);
    const img = imageFs?.image_filesystems?.[0];
    const node = {
      nodeName: this.cfg.nodeName,
      systemContainers: [],
      startTime: this.started,
      cpu: this.cpu('node', time, m.cpuNs),
      memory: { time, availableBytes: m.memAvailable, usageBytes: m.memUsage, workingSetBytes: m.workingSet },
      network: net(time, readNetDev('self')),
      fs: rootFs ? { time, ...rootFs } : undefined,
      runtime: { imageFs: { time, ...(rootFs ?? {}), usedBytes: val(img?.used_bytes) ?? 0, inodesUsed: val(img?.inodes_used) ?? 0 } },
    };
    const running = new Map(containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => [c.id, c]));
    const byPod = new Map<string, typeof cstats>();
    for (const s of cstats) {
      const c = running.get(s.attributes?.id ?? '');
      if (!c) continue;
      const uid = c.labels[POD_UID] ?? '';
      byPod.set(uid, [...(byPod.get(uid) ?? []), s]);
    }
    const pods = [];
    for (const pod of this.pods()) {
      const uid = pod.metadata?.uid ?? '';
      const sb = sandboxes.find((s) => s.labels[POD_UID] === uid && s.state === 'SANDBOX_READY');
      if (!sb) continue;
      live.add(uid);
      const cs = (byPod.get(uid) ?? []).map((s) => {
        const c = running.get(s.attributes!.id)!;
        live.add(c.id);
        const ws = val(s.memory?.working_set_bytes);
        let logs: number | undefined;
        try { logs = statSync(`${this.cfg.rootDir}/logs/pods/${pod.metadata?.namespace}_${pod.metadata?.name}_${uid}/${c.labels[CONTAINER_NAME]}/${c.metadata?.attempt ?? 0}.log`).size; } catch { /* none yet */ }
        return {
          name: c.labels[CONTAINER_NAME] ?? c.metadata?.name ?? '',
          startTime: nsToTime(c.created_at),
          cpu: this.cpu(c.id, time, val(s.cpu?.usage_core_nano_seconds), val(s.cpu?.usage_nano_cores)),
          memory: { time, workingSetBytes: ws, usageBytes: val(s.memory?.usage_bytes) || ws, rssBytes: val(s.memory?.rss_bytes) },
          rootfs: { time, usedBytes: val(s.writable_layer?.used_bytes), inodesUsed: val(s.writable_layer?.inodes_used) },
          logs: { time, usedBytes: logs },
        };
      });
      const cg = readCgroup(podCgroupParent(this.cfg, uid));
      const sumCpu = cs.reduce((a, c) => a + (c.cpu.usageCoreNanoSeconds ?? 0), 0);
      const sumMem = cs.reduce((a, c) => a + (c.memory.workingSetBytes ?? 0), 0);
      const pid = pod.spec?.hostNetwork ? undefined : await this.sandboxPid(sb.id);
      pods.push({
        podRef: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid },
        startTime: pod.status?.startTime ?? nsToTime(sb.created_at),
        containers: cs,
        cpu: this.cpu(`pod/${uid}`, time, cg?.cpuNs ?? sumCpu),
        memory: { time, workingSetBytes: cg?.workingSet ?? sumMem, usageBytes: cg?.memUsage ?? sumMem, rssBytes: cg?.rss },
        network: pid ? net(time, readNetDev(pid)) : undefined,
        volume: [],
        'ephemeral-storage': { time, usedBytes: cs.reduce((a, c) => a + (c.rootfs.usedBytes ?? 0) + (c.logs.usedBytes ?? 0), 0) },
      });
    }
    for (const k of [...live]) if (k !== 'node' && !k.includes('/')) live.add(`pod/${k}`);
    this.rates.retain(live);
    for (const id of this.sandboxPids.keys()) if (!sandboxes.some((s) => s.id === id)) this.sandboxPids.delete(id);
    return { node, pods };
  }
}
