// NoExecute taint eviction (upstream tainteviction / "taint manager"): when a pod on a node
// with NoExecute taints must go. Untolerated → now; tolerated with tolerationSeconds → that
// long after the taint was added; tolerated without → never. Pods with no toleration for the
// not-ready/unreachable taints get the default (upstream's DefaultTolerationSeconds admission
// adds `tolerationSeconds: 300` tolerations to every pod; tskube applies that default here).
// The clock starts at the taint's timeAdded, so a restarted controller keeps the same deadline.
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import { tolerates } from '../../scheduler/plugins/taint-toleration.js';

export const DEFAULT_TOLERATION_SECONDS = 300;
const DEFAULTED = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);

/** Epoch ms at which the pod must be evicted, or undefined if the taints allow it to stay forever. */
export function evictionTime(pod: Pod, taints: Taint[], defaultSeconds = DEFAULT_TOLERATION_SECONDS, now = Date.now()): number | undefined {
  let at: number | undefined;
  const tols = pod.spec?.tolerations ?? [];
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
    const matching = tols.filter((t) => tolerates(t, taint));
    let secs: number | undefined;
    if (matching.length === 0) {
      if (!DEFAULTED.has(taint.key)) return now; // untolerated: evict at once
      secs = defaultSeconds;
    } else {
      const limited = matching.filter((t) => t.tolerationSeconds !== undefined && t.tolerationSeconds !== null);
      if (limited.length === 0) continue; // tolerated without a time limit (upstream: the smallest limit set wins)
      secs = Math.max(0, Math.min(...limited.map((t) => t.tolerationSeconds!)));
    }
    const t = added + secs * 1000;
    at = at === undefined ? t : Math.min(at, t);
  }
  return at;
}
