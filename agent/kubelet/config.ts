// The kubelet's configuration, filled from `tskube agent` flags by agent/agent.ts.
import type { Taint } from 'kubernetes-types/core/v1.js';

export interface KubeletConfig {
  nodeName: string;
  nodeIp: string;
  server: string;
  /** unix:///path of the CRI socket (containerd, or our dockershim). */
  runtimeEndpoint: string;
  /** State and pod log directories live under here. */
  rootDir: string;
  cniConfDir: string;
  /** cgroupfs parent of every pod cgroup: <cgroupRoot>/pod<uid>. */
  cgroupRoot: string;
  nodeLabels: Record<string, string>;
  taints: Taint[];
  clusterDNS: string[];
  clusterDomain: string;
  /** HTTP port of /healthz and /metrics; 0 disables the server. */
  port: number;
  maxPods: number;
  /** CrashLoopBackOff: first delay, doubling up to max (upstream 10 s → 5 min); settable for tests. */
  crashLoopBackoffBaseMs: number;
  crashLoopBackoffMaxMs: number;
  /** Container log rotation (upstream's containerLogMaxSize 10Mi, containerLogMaxFiles 5, checked every containerLogMonitorInterval 10 s). */
  containerLogMaxSize: number;
  containerLogMaxFiles: number;
  containerLogMonitorIntervalMs: number;
}

export const KUBELET_VERSION = 'v1.32.0-tskube';

export function defaultConfig(c: Pick<KubeletConfig, 'nodeName' | 'nodeIp' | 'server' | 'runtimeEndpoint'> & Partial<KubeletConfig>): KubeletConfig {
  return {
    rootDir: '/var/lib/tskube/kubelet',
    cniConfDir: '/etc/cni/net.d',
    cgroupRoot: `/tskube/${c.nodeName}`,
    nodeLabels: {},
    taints: [],
    clusterDNS: ['10.96.0.10'],
    clusterDomain: 'cluster.local',
    port: 10250,
    maxPods: 110,
    crashLoopBackoffBaseMs: 10_000,
    crashLoopBackoffMaxMs: 300_000,
    containerLogMaxSize: 10 * 1024 * 1024,
    containerLogMaxFiles: 5,
    containerLogMonitorIntervalMs: 10_000,
    ...c,
  };
}
