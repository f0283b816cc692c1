// The default plugin set, in upstream's filter order (cheap, decisive checks first).
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { InterPodAffinity } from './inter-pod-affinity.js';
import { NodeAffinity } from './node-affinity.js';
import { NodeName } from './node-name.js';
import { NodePorts } from './node-ports.js';
import { NodeReady } from './node-ready.js';
import { BalancedAllocation, LeastAllocated, NodeResourcesFit } from './node-resources-fit.js';
import { NodeUnschedulable } from './node-unschedulable.js';
import { PodTopologySpread } from './pod-topology-spread.js';
import { Spreading } from './spreading.js';
import { TaintToleration } from './taint-toleration.js';
import { VolumeBinding, type VolumeLookup } from './volume-binding.js';
import { VolumeRestrictions } from './volume-restrictions.js';
import { VolumeZone } from './volume-zone.js';

export interface Profile { filters: FilterPlugin[]; scores: ScorePlugin[] }

export function defaultProfile(volumes?: VolumeLookup): Profile {
  const taints = new TaintToleration();
  const affinity = new NodeAffinity();
  const podAffinity = new InterPodAffinity();
  const spread = new PodTopologySpread();
  return {
    filters: [new NodeUnschedulable(), new NodeReady(), new NodeName(), taints, affinity, new NodePorts(), new NodeResourcesFit(),
      new VolumeRestrictions(volumes), new VolumeBinding(volumes), new VolumeZone(volumes), podAffinity, spread],
    scores: [new Spreading(), new LeastAllocated(), new BalancedAllocation(), taints, affinity, podAffinity, spread],
  };
}
