// Node lifecycle controller (small): watches each Node's heartbeat (its Lease in kube-node-lease
// and its Ready condition). Silent longer than the grace period → Ready=Unknown and the
// node.kubernetes.io/unreachable NoSchedule+NoExecute taints and its pods NotReady; heartbeats
// again → taints removed. Pods on a node with NoExecute taints are evicted after their
// toleration (taint-eviction.ts); their owners replace them elsewhere.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, isNotFound } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { runControllerLoop, errMessage, type Controller, type Running } from '../util/run.js';
import { isPodTerminal } from '../util/pods.js';
import { DEFAULT_TOLERATION_SECONDS, evictionTime } from './taint-eviction.js';

export const UNREACHABLE = 'node.kubernetes.io/unreachable';
export const NOT_READY = 'node.kubernetes.io/not-ready';
const LEASE_NS = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** Silence before a node turns Ready=Unknown (upstream --node-monitor-grace-period, 40 s). */
  gracePeriodSeconds?: number;
  monitorPeriodSeconds?: number;
  /** tolerationSeconds for pods with no not-ready/unreachable toleration (300 s). */
  defaultTolerationSeconds?: number;
}

/** Lab knobs: TSKUBE_NODE_GRACE (s) and TSKUBE_POD_EVICTION_TIMEOUT (s). */
export function nodeLifecycleOptionsFromEnv(env = process.env): NodeLifecycleOptions {
  const num = (v: string | undefined) => (v && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : undefined);
  const out: NodeLifecycleOptions = {};
  const grace = num(env.TSKUBE_NODE_GRACE), evict = num(env.TSKUBE_POD_EVICTION_TIMEOUT);
  if (grace !== undefined) out.gracePeriodSeconds = grace;
  if (evict !== undefined) out.defaultTolerationSeconds = evict;
  return out;
}

/**
 * The taints the controller wants on a node, given its Ready condition (upstream
 * TaintNodesByCondition + TaintBasedEvictions): Unknown → unreachable, False → not-ready, each
 * as NoSchedule (keeps new pods off) and NoExecute (will evict, see the header). Others kept.
 */
export function desiredTaints(node: Node, now = new Date().toISOString()): Taint[] {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const have = node.spec?.taints ?? [];
  const managed = (t: Taint) => t.key === UNREACHABLE || t.key === NOT_READY;
  const key = ready?.status === 'Unknown' ? UNREACHABLE : ready?.status === 'False' ? NOT_READY : undefined;
  const out = have.filter((t) => !managed(t));
  if (!key) return out;
  for (const effect of ['NoSchedule', 'NoExecute']) {
    out.push(have.find((t) => t.key === key && t.effect === effect) ?? { key, effect, timeAdded: now });
  }
  return out;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  readonly queue = new WorkQueue();
  private readonly nodeInf;
  private readonly leaseInf;
  private readonly podInf;
  /** Our own clock of the last heartbeat change we saw (upstream probeTimestamp: no clock skew). */
  private readonly probe = new Map<string, { beat: string; at: number }>();
  private readonly graceMs: number;
  private timer?: NodeJS.Timeout;
  private readonly events;
  private readonly log = logger('node-lifecycle-controller');

  constructor(private readonly client: ApiClient, informers: SharedInformers, private readonly opts: NodeLifecycleOptions = {}) {
    this.graceMs = (opts.gracePeriodSeconds ?? 40) * 1000;
    this.events = new EventRecorder(client, 'node-controller');
    this.nodeInf = informers.for<Node>(R.nodes);
    this.leaseInf = informers.for<Lease>(R.leases, { namespace: LEASE_NS });
    this.nodeInf.onChange((n) => this.queue.add(keyOf(n)));
    this.nodeInf.onDelete((n) => this.probe.delete(keyOf(n)));
    this.leaseInf.onChange((l) => this.queue.add(l.metadata!.name!));
    this.podInf = informers.for<Pod>(R.pods);
    this.podInf.onAdd((p) => { if (p.spec?.nodeName) this.queue.add(p.spec.nodeName); });
    this.podInf.onUpdate((o, p) => { if (p.spec?.nodeName && (!o.spec?.nodeName || o.spec.tolerations !== p.spec.tolerations)) this.queue.add(p.spec.nodeName); });
  }

  enqueueAll(): void {
    for (const n of this.nodeInf.list()) this.queue.add(keyOf(n));
    // Periodic monitor (upstream nodeMonitorPeriod, 5 s): silence produces no events of its own.
    this.timer = setInterval(() => { for (const n of this.nodeInf.list()) this.queue.add(keyOf(n)); }, (this.opts.monitorPeriodSeconds ?? 5) * 1000);
    this.timer.unref?.();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  /** Newest heartbeat the node has shown: lease renewTime or Ready.lastHeartbeatTime. */
  private heartbeat(node: Node): string {
    const lease = this.leaseInf.get(`${LEASE_NS}/${node.metadata!.name}`);
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    return `${lease?.spec?.renewTime ?? ''}|${ready?.lastHeartbeatTime ?? ''}`;
  }

  async sync(key: string): Promise<void> {
    const node = this.nodeInf.get(key);
    if (!node) return;
    const now = Date.now();
    const beat = this.heartbeat(node);
    const p = this.probe.get(key);
    if (!p || p.beat !== beat) this.probe.set(key, { beat, at: now });
    const silentFor = now - (this.probe.get(key)!.at);
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (silentFor > this.graceMs && ready?.status !== 'Unknown') await this.markUnknown(node);
    else await this.syncTaints(node);
    await this.evictPods(node);
  }

  /** Deletes pods that no longer tolerate the node's NoExecute taints; requeues for the next deadline. */
  private async evictPods(node: Node): Promise<void> {
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (!taints.length) return;
    const name = node.metadata!.name!;
    const now = Date.now();
    let next: number | undefined;
    for (const pod of this.podInf.list()) {
      if (pod.spec?.nodeName !== name || pod.metadata?.deletionTimestamp || isPodTerminal(pod)) continue;
      const at = evictionTime(pod, taints, this.opts.defaultTolerationSeconds ?? DEFAULT_TOLERATION_SECONDS, now);
      if (at === undefined) continue;
      if (at > now) { next = Math.min(next ?? at, at); continue; }
      const ref = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      try {
        await this.client.delete(R.pods, pod.metadata!.name!, pod.metadata!.namespace, { uid: pod.metadata?.uid as string | undefined });
        this.log.info({ pod: ref, node: name }, 'evicted pod: NoExecute taint no longer tolerated');
        void this.events.event({ ...pod, apiVersion: 'v1', kind: 'Pod' } as never, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ref}`);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) this.log.warn({ pod: ref, err: errMessage(err) }, 'eviction failed');
      }
    }
    if (next !== undefined) this.queue.addAfter(name, next - now + 50);
  }

  /** upstream MarkPodsNotReady: pods on a node nobody hears from are not Ready any more. */
  private async markPodsNotReady(name: string): Promise<void> {
    const ts = new Date().toISOString();
    for (const pod of this.podInf.list()) {
      if (pod.spec?.nodeName !== name || isPodTerminal(pod)) continue;
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') continue;
      await this.client.patch(R.pods, pod.metadata!.name!, pod.metadata!.namespace,
        { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'NodeNotReady', lastTransitionTime: ts }] } }, 'strategic', 'status')
        .catch((err) => { if (!isNotFound(err)) this.log.debug({ err: errMessage(err) }, 'could not mark pod not ready'); });
    }
  }

  /** Every condition the kubelet posts becomes Unknown: nobody knows any more. */
  private async markUnknown(node: Node & { metadata?: object }): Promise<void> {
    const ts = new Date().toISOString();
    const conds = [...(node.status?.conditions ?? [])];
    const types = new Set(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', ...conds.map((c) => c.type)]);
    const next: NodeCondition[] = [...types].map((type) => {
      const c = conds.find((x) => x.type === type);
      if (c?.status === 'Unknown') return c;
      return { type, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.',
        lastHeartbeatTime: c?.lastHeartbeatTime ?? ts, lastTransitionTime: ts };
    });
    try {
      await this.client.updateStatus(R.nodes, { ...node, apiVersion: 'v1', kind: 'Node', status: { ...(node.status ?? {}), conditions: next } } as never);
      this.log.warn({ node: node.metadata?.name }, 'node stopped posting status: Ready=Unknown');
      await this.markPodsNotReady(node.metadata!.name!);
      void this.events.event({ ...node, kind: 'Node' } as never, 'Normal', 'NodeNotReady', `Node ${node.metadata?.name} status is now: NodeNotReady`);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async syncTaints(node: Node): Promise<void> {
    const want = desiredTaints(node);
    const have = node.spec?.taints ?? [];
    const sig = (ts: Taint[]) => ts.map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).sort().join(',');
    if (sig(want) === sig(have)) return;
    try {
      await this.client.patch(R.nodes, node.metadata!.name!, undefined, { spec: { taints: want }, metadata: { resourceVersion: node.metadata?.resourceVersion } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

export async function startNodeLifecycleController(client: ApiClient, informers?: SharedInformers, opts: NodeLifecycleOptions = {}): Promise<Running> {
  const inf = informers ?? new SharedInformers(client);
  return runControllerLoop(new NodeLifecycleController(client, inf, opts), inf, !informers, 1);
}
