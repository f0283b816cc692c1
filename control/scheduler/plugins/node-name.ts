// NodeName: a pod that names a node (spec.nodeName, checked before binding) fits only there.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { success, unresolvable, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const ERR_NODE_NAME = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin {
  readonly name = 'NodeName';
  filter(pod: Pod, n: NodeInfo): Status {
    const want = pod.spec?.nodeName;
    return !want || want === n.name ? success() : unresolvable(ERR_NODE_NAME);
  }
}
