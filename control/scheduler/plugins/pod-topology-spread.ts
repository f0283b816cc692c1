// PodTopologySpread: spec.topologySpreadConstraints. DoNotSchedule constraints filter — placing
// the pod in a domain must keep (matching pods there + 1) − (fewest in any domain) ≤ maxSkew;
// ScheduleAnyway constraints score — fewer matching pods in the node's domain is better.
// Domains are counted over the nodes the pod could go to (its nodeSelector / node affinity).
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { matchesSelector } from '../../client/labels.js';
import { defaultNormalize, success, unresolvable, unschedulable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { nodeMatchesPod } from './node-affinity.js';

export const ERR_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_SPREAD_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Counted { c: TopologySpreadConstraint; counts: Map<string, number>; min: number; self: number }

const counts = (p: Pod, c: TopologySpreadConstraint, o: Pod) =>
  o.metadata?.namespace === p.metadata?.namespace && !o.metadata?.deletionTimestamp && matchesSelector(c.labelSelector ?? undefined, o.metadata?.labels);

/** Matching pods per domain of each constraint, over the nodes the pod is allowed on. */
export function countDomains(pod: Pod, constraints: TopologySpreadConstraint[], nodes: NodeInfo[]): Counted[] {
  const allowed = nodes.filter((n) => n.node && nodeMatchesPod(pod, n.node));
  return constraints.map((c) => {
    const m = new Map<string, number>();
    for (const n of c.nodeAffinityPolicy === 'Ignore' ? nodes : allowed) {
      const v = n.node?.metadata?.labels?.[c.topologyKey];
      if (v === undefined) continue;
      let k = m.get(v) ?? 0;
      for (const o of n.pods.values()) if (counts(pod, c, o)) k++;
      m.set(v, k);
    }
    const min = m.size ? Math.min(...m.values()) : 0;
    return { c, counts: m, min, self: matchesSelector(c.labelSelector ?? undefined, pod.metadata?.labels) ? 1 : 0 };
  });
}

export class PodTopologySpread implements FilterPlugin, ScorePlugin {
  readonly name = 'PodTopologySpread';
  readonly weight = 2;
  private hard?: { pod: Pod; counted: Counted[] };
  private soft?: { pod: Pod; counted: Counted[] };

  preFilter(pod: Pod, nodes: NodeInfo[]): Status | undefined {
    const cs = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule');
    this.hard = cs.length ? { pod, counted: countDomains(pod, cs, nodes) } : undefined;
    return undefined;
  }

  filter(pod: Pod, n: NodeInfo): Status {
    if (this.hard?.pod !== pod) return success();
    for (const { c, counts: m, min, self } of this.hard.counted) {
      const v = n.node?.metadata?.labels?.[c.topologyKey];
      if (v === undefined) return unresolvable(ERR_SPREAD_LABEL);
      if ((m.get(v) ?? 0) + self - min > c.maxSkew) return unschedulable(ERR_SPREAD);
    }
    return success();
  }

  preScore(pod: Pod, _feasible: NodeInfo[], all: NodeInfo[]): void {
    const cs = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
    this.soft = cs.length ? { pod, counted: countDomains(pod, cs, all) } : undefined;
  }

  /** Raw: matching pods in the node's domains (lower is better). */
  score(pod: Pod, n: NodeInfo): number {
    if (this.soft?.pod !== pod) return 0;
    let sum = 0;
    for (const { c, counts: m } of this.soft.counted) {
      const v = n.node?.metadata?.labels?.[c.topologyKey];
      sum += v === undefined ? 0 : (m.get(v) ?? 0);
    }
    return sum;
  }

  normalize(pod: Pod, scores: number[]): void {
    if (this.soft?.pod !== pod) { scores.fill(0); return; }
    defaultNormalize(scores, true);
  }
}
