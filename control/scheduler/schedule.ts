// One scheduling decision, pure (upstream schedulePod): run the filter plugins node by node (a
// node fails at its first failing plugin) until enough feasible nodes are found, score those,
// pick the best; ties are broken at random so equal nodes share the load.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isSuccess, type Status } from './framework.js';
import type { NodeInfo } from './node-info.js';
import type { Profile } from './plugins/index.js';

export type Decision =
  | { node: string; feasible: number; scores: Map<string, number>; processed: number }
  | { node?: undefined; numNodes: number; statuses: Map<string, Status>; processed: number };

/**
 * upstream numFeasibleNodesToFind (percentageOfNodesToScore unset): all nodes up to 100, then an
 * adaptive share — 50% minus 1% per 125 nodes, at least 5% and at least 100 nodes. Enough
 * candidates to score well without filtering a large cluster completely for every pod.
 */
export function numFeasibleNodesToFind(numAll: number): number {
  if (numAll < 100) return numAll;
  const pct = Math.max(5, 50 - numAll / 125);
  return Math.max(100, Math.floor((numAll * pct) / 100));
}

export function findFeasible(pod: Pod, nodes: NodeInfo[], profile: Profile, start = 0): { feasible: NodeInfo[]; statuses: Map<string, Status>; processed: number } {
  const feasible: NodeInfo[] = [];
  const statuses = new Map<string, Status>();
  for (const f of profile.filters) {
    let s: Status | undefined;
    try { s = f.preFilter?.(pod, nodes); } catch (err) { s = { code: 'Error', reasons: [`${f.name}: ${(err as Error).message}`] }; }
    if (s && !isSuccess(s)) {
      for (const n of nodes) statuses.set(n.name, { ...s, plugin: f.name });
      return { feasible, statuses, processed: nodes.length };
    }
  }
  const want = numFeasibleNodesToFind(nodes.length);
  let processed = 0;
  // Start where the last pod stopped (upstream nextStartNodeIndex) so every node gets its turn.
  for (; processed < nodes.length && feasible.length < want; processed++) {
    const n = nodes[(start + processed) % nodes.length]!;
    let failed: Status | undefined;
    for (const f of profile.filters) {
      let s: Status;
      try { s = f.filter(pod, n); } catch (err) { s = { code: 'Error', reasons: [`${f.name}: ${(err as Error).message}`] }; }
      if (!isSuccess(s)) { failed = { ...s, plugin: f.name }; break; }
    }
    if (failed) statuses.set(n.name, failed);
    else feasible.push(n);
  }
  return { feasible, statuses, processed };
}

/** Weighted sum of every score plugin's normalized score, per feasible node. */
export function scoreNodes(pod: Pod, feasible: NodeInfo[], all: NodeInfo[], profile: Profile): number[] {
  const totals = feasible.map(() => 0);
  for (const p of profile.scores) {
    p.preScore?.(pod, feasible, all);
    const raw = feasible.map((n) => p.score(pod, n, { nodes: all }));
    p.normalize?.(pod, raw);
    raw.forEach((s, i) => { totals[i]! += s * p.weight; });
  }
  return totals;
}

export function schedulePod(pod: Pod, nodes: NodeInfo[], profile: Profile, rand: () => number = Math.random, start = 0): Decision {
  const { feasible, statuses, processed } = findFeasible(pod, nodes, profile, start);
  if (feasible.length === 0) return { numNodes: nodes.length, statuses, processed };
  const totals = feasible.length === 1 ? [0] : scoreNodes(pod, feasible, nodes, profile);
  // upstream selectHost: the highest score, reservoir-sampling among ties.
  let best = 0, ties = 1;
  for (let i = 1; i < feasible.length; i++) {
    if (totals[i]! > totals[best]! + 1e-9) { best = i; ties = 1; }
    else if (Math.abs(totals[i]! - totals[best]!) <= 1e-9 && rand() * ++ties < 1) best = i;
  }
  return { node: feasible[best]!.name, feasible: feasible.length, scores: new Map(feasible.map((n, i) => [n.name, totals[i]!])), processed };
}
