// The scheduling framework's interfaces (upstream framework/interface.go, trimmed): plugins
// with a Name; Filter returns a Status (never throws); Score returns 0–100 per node, optionally
// normalized over all feasible nodes, then weighted and summed.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from './node-info.js';

export const MAX_NODE_SCORE = 100;

export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status { code: Code; reasons: string[]; plugin?: string }

export const success = (): Status => ({ code: 'Success', reasons: [] });
export const unschedulable = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: 'UnschedulableAndUnresolvable', reasons });
export const isSuccess = (s: Status) => s.code === 'Success';

export interface Plugin { readonly name: string }

export interface FilterPlugin extends Plugin {
  /** Once per pod before filtering (upstream PreFilter): precompute; a failure fails every node. */
  preFilter?(pod: Pod, nodes: NodeInfo[]): Status | undefined;
  filter(pod: Pod, node: NodeInfo): Status;
}

/** Everything a score plugin may look at besides the node itself. */
export interface ScoreContext { nodes: NodeInfo[] }

export interface ScorePlugin extends Plugin {
  readonly weight: number;
  /** Once per pod before scoring (upstream PreScore). */
  preScore?(pod: Pod, feasible: NodeInfo[], all: NodeInfo[]): void;
  score(pod: Pod, node: NodeInfo, ctx: ScoreContext): number;
  /** Rescale raw scores (one per feasible node, same order) into 0..MAX_NODE_SCORE, in place. */
  normalize?(pod: Pod, scores: number[]): void;
}

/** upstream helper.DefaultNormalizeScore: scale to 0..100 by the maximum; reverse if lower is better. */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  const max = Math.max(0, ...scores);
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) { scores[i] = reverse ? MAX_NODE_SCORE : 0; continue; }
    const s = (scores[i]! * MAX_NODE_SCORE) / max;
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}

/**
 * upstream FitError.Error(): "0/3 nodes are available: 1 node(s) had untolerated taint {…},
 * 2 Insufficient cpu." — each reason counted over nodes, the "n reason" strings sorted.
 */
export function fitErrorMessage(numNodes: number, statuses: Map<string, Status>): string {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const s of statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${numNodes} nodes are available${parts.length ? ': ' + parts.join(', ') : ''}.`;
}
