// The default plugin set, in upstream's filter order (cheap, decisive checks first).
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { NodeAffinity } from './node-affinity.js';
import { NodeName } from './node-name.js';
import { NodePorts } from './node-ports.js';
import { NodeReady } from './node-ready.js';
import { BalancedAllocation, LeastAllocated, NodeResourcesFit } from './node-resources-fit.js';
import { NodeUnschedulable } from './node-unschedulable.js';
import { Spreading } from './spreading.js';
import { TaintToleration } from './taint-toleration.js';

export interface Profile { filters: FilterPlugin[]; scores: ScorePlugin[] }

export function defaultProfile(): Profile {
  const taints = new TaintToleration();
  const affinity = new NodeAffinity();
  return {
    filters: [new NodeUnschedulable(), new NodeReady(), new NodeName(), taints, affinity, new NodePorts(), new NodeResourcesFit()],
    scores: [new Spreading(), new LeastAllocated(), new BalancedAllocation(), taints, affinity],
  };
}
