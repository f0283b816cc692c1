// Test fixtures for the scheduler tests: nodes with allocatable resources, pods with requests.
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from '../../control/scheduler/node-info.js';

export function mkNode(name: string, o: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Taint[]; ready?: string; unschedulable?: boolean } = {}): NodeInfo {
  return new NodeInfo({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      allocatable: { cpu: o.cpu ?? '2', memory: o.memory ?? '4Gi', pods: o.pods ?? '110' },
      conditions: [{ type: 'Ready', status: o.ready ?? 'True' }],
    },
  });
}

export function mkPod(name: string, o: { cpu?: string; memory?: string; spec?: Partial<Pod['spec']>; labels?: Record<string, string>; owner?: string } = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: o.labels ?? { app: 'web' },
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner, controller: true }] } : {}) },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests } }], ...(o.spec ?? {}) },
  };
}

