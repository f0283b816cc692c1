// InterPodAffinity: required pod affinity (the node's topology domain must already run a
// matching pod), required anti-affinity (it must not), existing pods' anti-affinity against the
// newcomer (symmetry), and preferred (anti-)affinity as a score. A domain is the value of the
// term's topologyKey label on the node (kubernetes.io/hostname: one node; a zone: several).
import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { matchesSelector } from '../../client/labels.js';
import { MAX_NODE_SCORE, success, unresolvable, unschedulable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import { hasPodAffinity, type NodeInfo } from '../node-info.js';

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Does `other` fall under `term`, a term of `owner`? (namespaces: listed, `{}` selector = all, else the owner's) */
export function termMatchesPod(term: PodAffinityTerm, owner: Pod, other: Pod): boolean {
  const ns = other.metadata?.namespace;
  const sel = term.namespaceSelector;
  const allNs = sel && !sel.matchLabels && !sel.matchExpressions?.length;
  const inNs = allNs || (term.namespaces?.length ? term.namespaces.includes(ns!) : ns === owner.metadata?.namespace);
  return !!inNs && matchesSelector(term.labelSelector ?? undefined, other.metadata?.labels);
}

const required = (p: Pod) => ({
  affinity: p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
  anti: p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
});

const domainOf = (n: NodeInfo, key: string) => n.node?.metadata?.labels?.[key];
const dkey = (key: string, value: string) => `${key}\x00${value}`;

interface State {
  pod: Pod;
  forbidden: Set<string>; // domains where an existing pod's anti-affinity rejects this pod
  affinity: Array<Set<string>>; // per required affinity term: domains with a matching pod
  anti: Array<Set<string>>; // per required anti-affinity term: domains with a matching pod
  noMatchAnywhere: boolean;
}

export class InterPodAffinity implements FilterPlugin, ScorePlugin {
  readonly name = 'InterPodAffinity';
  readonly weight = 2;
  private state?: State;
  private scores = new Map<string, number>();

  preFilter(pod: Pod, nodes: NodeInfo[]): Status | undefined {
    const { affinity, anti } = required(pod);
    const st: State = { pod, forbidden: new Set(), affinity: affinity.map(() => new Set()), anti: anti.map(() => new Set()), noMatchAnywhere: true };
    for (const n of nodes) {
      for (const e of n.podsWithAffinity.values()) { // symmetry: existing pods' anti-affinity
        for (const t of required(e).anti) {
          const v = domainOf(n, t.topologyKey);
          if (v !== undefined && termMatchesPod(t, e, pod)) st.forbidden.add(dkey(t.topologyKey, v));
        }
      }
      if (!affinity.length && !anti.length) continue;
      for (const other of n.pods.values()) {
        affinity.forEach((t, i) => {
          const v = domainOf(n, t.topologyKey);
          if (termMatchesPod(t, pod, other)) { st.noMatchAnywhere = false; if (v !== undefined) st.affinity[i]!.add(v); }
        });
        anti.forEach((t, i) => {
          const v = domainOf(n, t.topologyKey);
          if (v !== undefined && termMatchesPod(t, pod, other)) st.anti[i]!.add(v);
        });
      }
    }
    this.state = st;
    return undefined;
  }

  filter(pod: Pod, n: NodeInfo): Status {
    const st = this.state?.pod === pod ? this.state : undefined;
    if (!st) return success();
    const { affinity, anti } = required(pod);
    const ok = affinity.every((t, i) => { const v = domainOf(n, t.topologyKey); return v !== undefined && st.affinity[i]!.has(v); });
    // The first pod of a group that selects itself may start anywhere its topology key exists.
    const selfStart = st.noMatchAnywhere && affinity.every((t) => termMatchesPod(t, pod, pod) && domainOf(n, t.topologyKey) !== undefined);
    if (!ok && !selfStart) return unresolvable(ERR_AFFINITY);
    if (anti.some((t, i) => { const v = domainOf(n, t.topologyKey); return v !== undefined && st.anti[i]!.has(v); })) return unschedulable(ERR_ANTI_AFFINITY);
    for (const k of st.forbidden) {
      const [key, value] = k.split('\x00') as [string, string];
      if (domainOf(n, key) === value) return unschedulable(ERR_EXISTING_ANTI);
    }
    return success();
  }

  /** Preferred terms: +weight per matching pod in the node's domain for affinity, −weight for anti. */
  preScore(pod: Pod, _feasible: NodeInfo[], all: NodeInfo[]): void {
    this.scores.clear();
    const aff = pod.spec?.affinity;
    const terms = [
      ...(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ t: w.podAffinityTerm, w: w.weight })),
      ...(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ t: w.podAffinityTerm, w: -w.weight })),
    ];
    if (!terms.length && !hasPodAffinity(pod)) return;
    for (const n of all) {
      for (const other of n.pods.values()) {
        for (const { t, w } of terms) {
          const v = domainOf(n, t.topologyKey);
          if (v !== undefined && termMatchesPod(t, pod, other)) this.scores.set(dkey(t.topologyKey, v), (this.scores.get(dkey(t.topologyKey, v)) ?? 0) + w);
        }
      }
    }
    this.terms = terms.map(({ t }) => t.topologyKey);
  }

  private terms: string[] = [];

  score(_pod: Pod, n: NodeInfo): number {
    if (!this.scores.size) return 0;
    let sum = 0;
    for (const key of new Set(this.terms)) {
      const v = domainOf(n, key);
      if (v !== undefined) sum += this.scores.get(dkey(key, v)) ?? 0;
    }
    return sum;
  }

  /** Min–max scaling to 0..100 (scores may be negative). */
  normalize(_pod: Pod, scores: number[]): void {
    const min = Math.min(...scores), max = Math.max(...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max === min ? 0 : ((scores[i]! - min) * MAX_NODE_SCORE) / (max - min);
  }
}
