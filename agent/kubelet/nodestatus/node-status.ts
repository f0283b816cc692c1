// The Node object this kubelet registers and the status it reports: labels (hostname, os, arch,
// roles from flags), taints, addresses, capacity/allocatable, nodeInfo and the four conditions
// with heartbeats. Pure: node-status-loop.ts does the API calls.
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { KUBELET_VERSION, type KubeletConfig } from '../config.js';
import { rfc3339 } from '../util/time.js';
import type { MachineInfo } from './machine.js';

export interface RuntimeHealth {
  runtimeVersion: string; // "containerd://1.6.20"
  runtimeReady: boolean;
  networkReady: boolean;
  message: string;
}

/** Readings behind capacity and the pressure conditions (eviction thresholds as upstream's defaults). */
export interface NodeReadings { memAvailableBytes?: number; fsCapacityBytes?: number; fsAvailableBytes?: number; pids?: number; pidMax?: number }

export const MEMORY_AVAILABLE_MIN = 100 * 1024 * 1024; // memory.available<100Mi
export const NODEFS_AVAILABLE_MIN = 0.10; // nodefs.available<10%
export const PID_USED_MAX = 0.90;

export function nodeLabels(cfg: KubeletConfig, m: MachineInfo): Record<string, string> {
  return {
    'kubernetes.io/hostname': cfg.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': m.architecture,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': m.architecture,
    ...cfg.nodeLabels,
  };
}

export function registrationNode(cfg: KubeletConfig, m: MachineInfo): Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: cfg.nodeName, labels: nodeLabels(cfg, m), annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: cfg.taints.length ? { taints: cfg.taints } : {},
  };
}

function cond(old: NodeCondition[] | undefined, type: string, status: boolean, reason: string, message: string, now: string): NodeCondition {
  const prev = old?.find((c) => c.type === type);
  const s = status ? 'True' : 'False';
  return { type, status: s, lastHeartbeatTime: now, lastTransitionTime: prev?.status === s && prev.lastTransitionTime ? prev.lastTransitionTime : now, reason, message };
}

export function nodeStatus(cfg: KubeletConfig, m: MachineInfo, rt: RuntimeHealth, old: NodeStatus | undefined, nowMs = Date.now(), r: NodeReadings = {}): NodeStatus {
  const now = rfc3339(nowMs);
  const capacity: Record<string, string> = { cpu: String(m.cpus), memory: `${Math.floor(m.memoryBytes / 1024)}Ki`, pods: String(cfg.maxPods) };
  if (r.fsCapacityBytes) capacity['ephemeral-storage'] = `${Math.floor(r.fsCapacityBytes / 1024)}Ki`;
  const memPressure = r.memAvailableBytes !== undefined && r.memAvailableBytes < MEMORY_AVAILABLE_MIN;
  const diskPressure = !!r.fsCapacityBytes && r.fsAvailableBytes !== undefined && r.fsAvailableBytes / r.fsCapacityBytes < NODEFS_AVAILABLE_MIN;
  const pidPressure = !!r.pidMax && r.pids !== undefined && r.pids / r.pidMax > PID_USED_MAX;
  const ready = rt.runtimeReady && rt.networkReady;
  return {
    capacity,
    allocatable: { ...capacity },
    addresses: [{ type: 'InternalIP', address: cfg.nodeIp }, { type: 'Hostname', address: cfg.nodeName }],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.port || 10250 } },
    nodeInfo: {
      machineID: m.machineID, systemUUID: m.machineID, bootID: m.bootID,
      kernelVersion: m.kernelVersion, osImage: m.osImage, operatingSystem: 'linux', architecture: m.architecture,
      containerRuntimeVersion: rt.runtimeVersion, kubeletVersion: KUBELET_VERSION, kubeProxyVersion: KUBELET_VERSION,
    },
    conditions: [
      memPressure ? cond(old?.conditions, 'MemoryPressure', true, 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available', now)
        : cond(old?.conditions, 'MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', now),
      diskPressure ? cond(old?.conditions, 'DiskPressure', true, 'KubeletHasDiskPressure', 'kubelet has disk pressure', now)
        : cond(old?.conditions, 'DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', now),
      pidPressure ? cond(old?.conditions, 'PIDPressure', true, 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available', now)
        : cond(old?.conditions, 'PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', now),
      cond(old?.conditions, 'Ready', ready, ready ? 'KubeletReady' : 'KubeletNotReady', ready ? 'kubelet is posting ready status' : rt.message, now),
    ],
  };
}
