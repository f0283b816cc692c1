// NodeResourcesFit: Filter checks the pod's requests against allocatable minus what pods bound
// (or assumed) to the node already request — "Insufficient cpu", "Too many pods". The scores
// are LeastAllocated (emptier nodes first) and BalancedAllocation (cpu and memory evenly used).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, success, unschedulable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import { podNonZeroRequests, podRequests, type NodeInfo } from '../node-info.js';

export class NodeResourcesFit implements FilterPlugin {
  readonly name = 'NodeResourcesFit';

  filter(pod: Pod, n: NodeInfo): Status {
    const alloc = n.allocatable();
    const reasons: string[] = [];
    if (n.pods.size + 1 > (alloc.get('pods') ?? 0)) reasons.push('Too many pods');
    for (const [res, want] of podRequests(pod)) {
      if (want <= 0 || res === 'pods') continue;
      if (want > (alloc.get(res) ?? 0) - (n.requested.get(res) ?? 0)) reasons.push(`Insufficient ${res}`);
    }
    return reasons.length ? unschedulable(...reasons) : success();
  }
}

/** Fractions of cpu and memory in use on the node if this pod landed there (non-zero requests). */
function fractions(pod: Pod, n: NodeInfo): [number, number] {
  const alloc = n.allocatable();
  const req = podNonZeroRequests(pod);
  const f = (used: number, cap: number) => (cap > 0 ? Math.min(1, used / cap) : 1);
  return [f(n.nonZero.cpu + req.cpu, alloc.get('cpu') ?? 0), f(n.nonZero.memory + req.memory, alloc.get('memory') ?? 0)];
}

export class LeastAllocated implements ScorePlugin {
  readonly name = 'NodeResourcesLeastAllocated';
  readonly weight = 1;
  score(pod: Pod, n: NodeInfo): number {
    const [cpu, mem] = fractions(pod, n);
    return ((1 - cpu) + (1 - mem)) / 2 * MAX_NODE_SCORE;
  }
}

export class BalancedAllocation implements ScorePlugin {
  readonly name = 'NodeResourcesBalancedAllocation';
  readonly weight = 1;
  score(pod: Pod, n: NodeInfo): number {
    const [cpu, mem] = fractions(pod, n);
    return (1 - Math.abs(cpu - mem) / 2) * MAX_NODE_SCORE; // std deviation of two values = |a-b|/2
  }
}
