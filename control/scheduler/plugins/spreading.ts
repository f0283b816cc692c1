// Spreading (upstream SelectorSpread / default PodTopologySpread by hostname): prefer nodes
// running fewer pods of the same owner (or, for ownerless pods, with the same labels), so the
// replicas of a Deployment land on different nodes.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, type ScorePlugin } from '../framework.js';
import { ownerUid, type NodeInfo } from '../node-info.js';

/** Does `other` count as a sibling of `pod` for spreading? */
export function sameGroup(pod: Pod, other: Pod): boolean {
  if (other.metadata?.namespace !== pod.metadata?.namespace || other.metadata?.uid === pod.metadata?.uid) return false;
  const owner = ownerUid(pod);
  if (owner) return ownerUid(other) === owner;
  const labels = Object.entries(pod.metadata?.labels ?? {});
  return labels.length > 0 && labels.every(([k, v]) => other.metadata?.labels?.[k] === v);
}

export class Spreading implements ScorePlugin {
  readonly name = 'Spreading';
  readonly weight = 3;

  /** Raw score: how many siblings the node already runs (lower is better; see normalize). */
  score(pod: Pod, n: NodeInfo): number {
    const owner = ownerUid(pod);
    if (owner) return n.ownerCounts.get(owner) ?? 0; // the pod itself is not on any node yet
    let count = 0;
    for (const other of n.pods.values()) if (sameGroup(pod, other)) count++;
    return count;
  }

  normalize(_pod: Pod, scores: number[]): void {
    const max = Math.max(0, ...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? MAX_NODE_SCORE : (MAX_NODE_SCORE * (max - scores[i]!)) / max;
  }
}
