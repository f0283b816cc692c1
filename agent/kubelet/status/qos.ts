// A pod's QoS class (status.qosClass) from its containers' cpu and memory requests and limits.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../../control/client/quantity.js';

export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const cs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l; // requests default to limits
      if (q !== undefined || l !== undefined) any = true;
      if (l === undefined || q === undefined || parseQuantity(q) !== parseQuantity(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
