// NodeAffinity: spec.nodeSelector and required node affinity (terms ORed, expressions ANDed;
// In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on metadata.name) as a Filter, and
// preferred node affinity (summed term weights) as a Score.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';
import { defaultNormalize, success, unresolvable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const ERR_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In': return has && vals.includes(value);
    case 'NotIn': return !has || !vals.includes(value);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': case 'Lt': {
      if (!has || vals.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(vals[0]!)) return false;
      return r.operator === 'Gt' ? Number(value) > Number(vals[0]) : Number(value) < Number(vals[0]);
    }
    default: return false;
  }
}

/** A term matches when all its expressions and fields do; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [], fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  return exprs.every((r) => requirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined)) &&
    fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.metadata?.name : undefined));
}

export function nodeMatchesPod(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return !terms || terms.some((t) => termMatches(t, node));
}

export class NodeAffinity implements FilterPlugin, ScorePlugin {
  readonly name = 'NodeAffinity';
  readonly weight = 2;

  filter(pod: Pod, n: NodeInfo): Status {
    return n.node && nodeMatchesPod(pod, n.node) ? success() : unresolvable(ERR_AFFINITY);
  }

  score(pod: Pod, n: NodeInfo): number {
    let sum = 0;
    for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (n.node && termMatches(p.preference, n.node)) sum += p.weight;
    }
    return sum;
  }

  normalize(_pod: Pod, scores: number[]): void { defaultNormalize(scores, false); }
}
