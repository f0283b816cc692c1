// NodeReady: a node whose Ready condition is False or Unknown takes no new pods (upstream gets
// the same effect from the not-ready/unreachable NoSchedule taints; this covers the moments
// before the node lifecycle controller has tainted it). Nodes that report no conditions pass.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { success, unschedulable, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { tolerates } from './taint-toleration.js';

export const ERR_NOT_READY = 'node(s) were not ready';

export class NodeReady implements FilterPlugin {
  readonly name = 'NodeReady';
  filter(pod: Pod, n: NodeInfo): Status {
    const ready = n.node?.status?.conditions?.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'True') return success();
    const key = ready.status === 'False' ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable';
    const taint = { key, effect: 'NoSchedule' };
    return (pod.spec?.tolerations ?? []).some((t) => tolerates(t, taint)) ? success() : unschedulable(ERR_NOT_READY);
  }
}
