// TaintToleration: Filter rejects nodes with a NoSchedule/NoExecute taint the pod does not
// tolerate; Score prefers nodes with fewer untolerated PreferNoSchedule taints.
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { defaultNormalize, success, unresolvable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

/** upstream Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false; // empty key only with Exists (matches all)
  switch (t.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal': return (t.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

export function untoleratedTaint(taints: Taint[], tolerations: Toleration[], effects: string[]): Taint | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !tolerations.some((t) => tolerates(t, taint)));
}

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = 'TaintToleration';
  readonly weight = 3;

  filter(pod: Pod, n: NodeInfo): Status {
    const taint = untoleratedTaint(n.node?.spec?.taints ?? [], pod.spec?.tolerations ?? [], ['NoSchedule', 'NoExecute']);
    return taint ? unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`) : success();
  }

  score(pod: Pod, n: NodeInfo): number {
    const tols = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return (n.node?.spec?.taints ?? []).filter((taint) => taint.effect === 'PreferNoSchedule' && !tols.some((t) => tolerates(t, taint))).length;
  }

  normalize(_pod: Pod, scores: number[]): void { defaultNormalize(scores, true); }
}
