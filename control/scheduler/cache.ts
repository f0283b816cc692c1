// The scheduler cache (upstream internal/cache): NodeInfos built from the node and pod
// informers, plus "assumed" pods — bound by us but not yet seen bound through the watch — so
// a burst of pods never over-commits a node or stacks replicas on one node.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from './node-info.js';

interface PodState { pod: Pod; node: string; assumed: boolean; deadline?: number }

const ASSUME_TTL_MS = 30_000; // upstream durationToExpireAssumedPod (after binding finished)

const podKey = (p: Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();

  constructor(private readonly ttlMs = ASSUME_TTL_MS) {}

  private info(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = new NodeInfo()));
    return n;
  }

  setNode(node: Node): void {
    const n = this.info(node.metadata!.name!);
    if (!n.node) this.list = undefined;
    n.node = node;
  }

  removeNode(node: Node): void {
    const n = this.nodes.get(node.metadata!.name!);
    if (!n) return;
    n.node = undefined;
    this.list = undefined;
    if (n.pods.size === 0) this.nodes.delete(node.metadata!.name!);
  }

  private list?: NodeInfo[];

  /** NodeInfos of the nodes that exist (pods may reference a node we have not seen yet); memoized until a node comes or goes. */
  nodeInfos(): NodeInfo[] { return (this.list ??= [...this.nodes.values()].filter((n) => n.node)); }

  /** A bound pod seen through the informer: confirms an assumed pod, or adds/moves it. */
  addPod(pod: Pod): void {
    const key = podKey(pod), node = pod.spec!.nodeName!;
    const cur = this.pods.get(key);
    if (cur && cur.node !== node) this.nodes.get(cur.node)?.removePod(key);
    this.info(node).addPod(key, pod);
    this.pods.set(key, { pod, node, assumed: false });
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const cur = this.pods.get(key);
    if (!cur) return;
    // An assumed pod's delete event is the unbound copy going away: ignore unless it was bound.
    const n = this.nodes.get(cur.node);
    n?.removePod(key);
    this.pods.delete(key);
    if (n && !n.node && n.pods.size === 0) this.nodes.delete(cur.node);
  }

  /** Counts the pod on `node` before the binding is confirmed. */
  assume(pod: Pod, node: string): void {
    const key = podKey(pod);
    const bound: Pod = { ...pod, spec: { ...pod.spec!, nodeName: node } };
    this.info(node).addPod(key, bound);
    this.pods.set(key, { pod: bound, node, assumed: true });
  }

  /** The binding call returned: the assumption now expires if the watch never confirms it. */
  finishBinding(pod: Pod, now = Date.now()): void {
    const s = this.pods.get(podKey(pod));
    if (s?.assumed) s.deadline = now + this.ttlMs;
  }

  /** The binding failed: drop the assumption. */
  forget(pod: Pod): void {
    const s = this.pods.get(podKey(pod));
    if (s?.assumed) this.removePod(s.pod);
  }

  isAssumed(key: string): boolean { return this.pods.get(key)?.assumed === true; }

  /** Drops assumed pods whose confirmation never came; returns how many. */
  cleanupExpired(now = Date.now()): number {
    let n = 0;
    for (const s of [...this.pods.values()]) {
      if (s.assumed && s.deadline !== undefined && s.deadline < now) { this.removePod(s.pod); n++; }
    }
    return n;
  }
}
