// NodeUnschedulable: cordoned nodes (spec.unschedulable) take no new pods, unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { success, unresolvable, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { tolerates } from './taint-toleration.js';

export const ERR_UNSCHEDULABLE = 'node(s) were unschedulable';

export class NodeUnschedulable implements FilterPlugin {
  readonly name = 'NodeUnschedulable';
  filter(pod: Pod, n: NodeInfo): Status {
    if (!n.node?.spec?.unschedulable) return success();
    const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    return (pod.spec?.tolerations ?? []).some((t) => tolerates(t, taint)) ? success() : unresolvable(ERR_UNSCHEDULABLE);
  }
}
