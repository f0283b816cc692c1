// Node lifecycle controller (small): watches each Node's heartbeat (its Lease in kube-node-lease
// and its Ready condition). Silent longer than the grace period → Ready=Unknown and the
// node.kubernetes.io/unreachable NoSchedule+NoExecute taints; heartbeats again → taints removed.
// Evicting the pods of an unreachable node (NoExecute + tolerationSeconds) comes with issue 5.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, isNotFound } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { runControllerLoop, type Controller, type Running } from '../util/run.js';

export const UNREACHABLE = 'node.kubernetes.io/unreachable';
export const NOT_READY = 'node.kubernetes.io/not-ready';
const LEASE_NS = 'kube-node-lease';

export interface NodeLifecycleOptions { gracePeriodSeconds?: number; monitorPeriodSeconds?: number }

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
