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

export function nodeStatus(cfg: KubeletConfig, m: MachineInfo, rt: RuntimeHealth, old: NodeStatus | undefined, nowMs = Date.now()): NodeStatus {
  const now = rfc3339(nowMs);
  const capacity = { cpu: String(m.cpus), memory: `${Math.floor(m.memoryBytes / 1024)}Ki`, pods: String(cfg.maxPods) };
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
      cond(old?.conditions, 'MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', now),
      cond(old?.conditions, 'DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', now),
      cond(old?.conditions, 'PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', now),
      cond(old?.conditions, 'Ready', ready, ready ? 'KubeletReady' : 'KubeletNotReady', ready ? 'kubelet is posting ready status' : rt.message, now),
    ],
  };
}
