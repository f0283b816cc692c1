// NodePorts: a pod asking for a hostPort fits only where no other pod holds that port
// (same protocol; 0.0.0.0 conflicts with every address).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { success, unschedulable, type FilterPlugin, type Status } from '../framework.js';
import { hostPorts, type NodeInfo } from '../node-info.js';

export const ERR_PORTS = "node(s) didn't have free ports for the requested pod ports";

export class NodePorts implements FilterPlugin {
  readonly name = 'NodePorts';
  filter(pod: Pod, n: NodeInfo): Status {
    for (const want of hostPorts(pod)) {
      const [proto, ip, port] = want.split('/');
      for (const used of n.usedPorts.keys()) {
        const [uproto, uip, uport] = used.split('/');
        if (proto === uproto && port === uport && (ip === uip || ip === '0.0.0.0' || uip === '0.0.0.0')) return unschedulable(ERR_PORTS);
      }
    }
    return success();
  }
}
