// The scheduler loop (upstream scheduleOne): informers on pods and nodes keep the cache; pods
// without a node whose schedulerName is ours go through the queue; each is filtered and scored
// (schedule.ts), assumed in the cache, and bound through pods/binding without blocking the next.
// Pods that fit nowhere get PodScheduled=False + a FailedScheduling event and wait for a change.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { Counter, Gauge, Histogram, Registry } from '../metrics/prom.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../client/api-client.js';
import { keyOf } from '../client/informer.js';
import { R } from '../client/resources.js';
import { WorkQueue, runController } from '../client/workqueue.js';
import { logger } from '../client/log.js';
import { EventRecorder } from '../controllers/events.js';
import { SharedInformers } from '../controllers/informers.js';
import { isPodTerminal } from '../controllers/util/pods.js';
import { SchedulerCache } from './cache.js';
import { fitErrorMessage } from './framework.js';
import { defaultProfile, type Profile } from './plugins/index.js';
import type { VolumeLookup } from './plugins/volume-binding.js';
import type { Informer } from '../client/informer.js';
import { schedulePod } from './schedule.js';
import { VolumePreBinder } from './volume-prebind.js';

type P = Pod & KubeObject;

const UNSCHEDULABLE_FLUSH_MS = 60_000; // retry parked pods at least this often (upstream: 5 min)

export class Scheduler {
  readonly queue = new WorkQueue(1000, 10_000); // failed binds back off 1 s … 10 s
  readonly cache = new SchedulerCache();
  private readonly unschedulable = new Map<string, number>(); // pod key → parked since
  private readonly podInf;
  private readonly nodeInf;
  private readonly events;
  private readonly log = logger('scheduler');
  private timers: NodeJS.Timeout[] = [];
  private nextStart = 0; // upstream nextStartNodeIndex
  private readonly firstSeen = new Map<string, number>(); // pod key → first time queued (latency metric)
  private pvcInf?: Informer<PersistentVolumeClaim & KubeObject>;
  private pvInf?: Informer<PersistentVolume & KubeObject>;
  private scInf?: Informer<StorageClass & KubeObject>;
  private readonly volumes: VolumePreBinder;
  readonly registry = new Registry();
  private readonly attempts = new Counter({ name: 'scheduler_schedule_attempts_total', help: 'Scheduling attempts by result.', labelNames: ['result', 'profile'], registers: [this.registry] });
  private readonly latency = new Histogram({ name: 'scheduler_pod_scheduling_duration_seconds', help: 'From a pod first queued to its binding.', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60], registers: [this.registry] });
  private readonly profile: Profile;

  constructor(private readonly client: ApiClient, private readonly informers: SharedInformers,
              readonly schedulerName = 'default-scheduler', profile?: Profile) {
    const volumes: VolumeLookup = {
      claim: (ns, name) => this.pvcInf?.get(`${ns}/${name}`),
      volume: (name) => this.pvInf?.get(name),
      volumes: () => this.pvInf?.list() ?? [],
      storageClass: (name) => this.scInf?.get(name),
    };
    this.volumes = new VolumePreBinder(client, volumes);
    this.profile = profile ?? defaultProfile(volumes);
    const q = this.queue, parked = this.unschedulable;
    new Gauge({ name: 'scheduler_pending_pods', help: 'Pending pods by queue.', labelNames: ['queue'], registers: [this.registry],
      collect() { this.set({ queue: 'active' }, q.len()); this.set({ queue: 'unschedulable' }, parked.size); } });
    this.events = new EventRecorder(client, schedulerName);
    this.podInf = informers.for<Pod>(R.pods);
    this.nodeInf = informers.for<Node>(R.nodes);
    this.podInf.onAdd((p) => this.podAdded(p));
    this.podInf.onUpdate((o, c) => this.podUpdated(o, c));
    this.podInf.onDelete((p) => this.podDeleted(p));
    this.nodeInf.onAdd((n) => { this.cache.setNode(n); this.retryUnschedulable(); });
    this.nodeInf.onUpdate((o, c) => { this.cache.setNode(c); if (nodeChanged(o, c)) this.retryUnschedulable(); });
    this.nodeInf.onDelete((n) => this.cache.removeNode(n));
  }

  private responsible(p: Pod): boolean { return (p.spec?.schedulerName || 'default-scheduler') === this.schedulerName; }
  private pending(p: Pod): boolean { return !p.spec?.nodeName && !p.metadata?.deletionTimestamp && !isPodTerminal(p) && this.responsible(p); }

  private podAdded(p: P): void {
    if (p.spec?.nodeName) { if (!isPodTerminal(p)) this.cache.addPod(p); return; }
    if (this.pending(p)) this.queue.add(keyOf(p));
  }

  private podUpdated(old: P, cur: P): void {
    const key = keyOf(cur);
    if (cur.spec?.nodeName) {
      this.unschedulable.delete(key);
      if (isPodTerminal(cur)) { this.cache.removePod(cur); this.retryUnschedulable(); } else this.cache.addPod(cur);
      return;
    }
    if (!this.pending(cur)) return;
    // A parked pod is retried when something that matters changed: not for status-only writes.
    const changed = JSON.stringify(old.spec) !== JSON.stringify(cur.spec) || JSON.stringify(old.metadata?.labels) !== JSON.stringify(cur.metadata?.labels);
    if (!this.unschedulable.has(key) || changed) { this.unschedulable.delete(key); this.queue.add(key); }
  }

  private podDeleted(p: P): void {
    this.unschedulable.delete(keyOf(p));
    this.firstSeen.delete(keyOf(p));
    this.cache.removePod(p);
    if (p.spec?.nodeName) this.retryUnschedulable(); // its resources are free again
  }

  /** upstream MoveAllToActiveOrBackoffQueue: the cluster changed, so parked pods may fit now. */
  private retryUnschedulable(): void {
    for (const key of this.unschedulable.keys()) this.queue.add(key);
    this.unschedulable.clear();
  }

  async start(): Promise<void> {
    await this.watchVolumesIfServed();
    await this.informers.start();
    for (const p of this.podInf.list()) if (this.pending(p)) this.queue.add(keyOf(p));
    this.timers.push(setInterval(() => this.cache.cleanupExpired(), 5_000));
    this.timers.push(setInterval(() => {
      const now = Date.now();
      for (const [key, since] of this.unschedulable) if (now - since >= UNSCHEDULABLE_FLUSH_MS) { this.unschedulable.delete(key); this.queue.add(key); }
    }, 5_000));
    for (const t of this.timers) t.unref?.();
    void runController('scheduler', this.queue, (key) => this.scheduleOne(key), 1);
    this.log.info({ schedulerName: this.schedulerName }, 'scheduler started');
  }

  /** PersistentVolumeClaims, PersistentVolumes and StorageClasses are watched only when the API server serves them. */
  private async watchVolumesIfServed(): Promise<void> {
    try {
      const core = await this.client.request<{ resources: Array<{ name: string }> }>('GET', '/api/v1');
      const has = (n: string) => core.resources.some((r) => r.name === n);
      if (has('persistentvolumeclaims')) this.pvcInf = this.informers.for({ group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true });
      if (has('persistentvolumes')) this.pvInf = this.informers.for({ group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false });
      const storage = await this.client.request<{ resources: Array<{ name: string }> }>('GET', '/apis/storage.k8s.io/v1').catch(() => ({ resources: [] }));
      if (storage.resources.some((r) => r.name === 'storageclasses')) this.scInf = this.informers.for({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', namespaced: false });
      for (const inf of [this.pvcInf, this.pvInf, this.scInf]) inf?.onChange(() => this.retryUnschedulable());
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'discovery failed; volumes with claims will not schedule');
    }
  }

  stop(): void {
    this.queue.shutDown();
    for (const t of this.timers) clearInterval(t);
  }

  async scheduleOne(key: string): Promise<void> {
    const pod = this.podInf.get(key);
    if (!pod || !this.pending(pod) || this.cache.isAssumed(key)) return;
    if (!this.firstSeen.has(key)) this.firstSeen.set(key, performance.now());
    const nodes = this.cache.nodeInfos();
    const d = schedulePod(pod, nodes, this.profile, Math.random, this.nextStart);
    this.nextStart = nodes.length ? (this.nextStart + d.processed) % nodes.length : 0;
    if (d.node === undefined) {
      this.attempts.inc({ result: 'unschedulable', profile: this.schedulerName });
      return this.unschedulableFound(pod, fitErrorMessage(d.numNodes, d.statuses));
    }
    this.attempts.inc({ result: 'scheduled', profile: this.schedulerName });
    this.cache.assume(pod, d.node);
    void this.bind(pod, d.node);
  }

  /** Bindings in flight are capped (upstream: client QPS limits); the rest wait, already assumed. */
  private bindsInFlight = 0;
  private readonly bindWaiters: Array<() => void> = [];
  private static readonly MAX_BINDS_IN_FLIGHT = 64;

  private async bind(pod: P, node: string): Promise<void> {
    if (this.bindsInFlight >= Scheduler.MAX_BINDS_IN_FLIGHT) await new Promise<void>((r) => this.bindWaiters.push(r));
    this.bindsInFlight++;
    try { await this.bindNow(pod, node); } finally {
      this.bindsInFlight--;
      this.bindWaiters.shift()?.();
    }
  }

  private async bindNow(pod: P, node: string): Promise<void> {
    const { name, namespace } = pod.metadata as { name: string; namespace: string };
    try {
      const n = this.nodeInf.get(node);
      if (n) await this.volumes.preBind(pod, n);
      await this.client.createSubresource(R.pods, name, namespace, 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata?.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      this.cache.finishBinding(pod);
      const since = this.firstSeen.get(keyOf(pod));
      this.firstSeen.delete(keyOf(pod));
      if (since !== undefined) this.latency.observe((performance.now() - since) / 1000);
      void this.events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
      this.log.debug({ pod: `${namespace}/${name}`, node }, 'bound');
    } catch (err) {
      this.cache.forget(pod);
      this.attempts.inc({ result: 'error', profile: this.schedulerName });
      if (isNotFound(err) || isConflict(err)) { this.firstSeen.delete(keyOf(pod)); return; } // pod gone, or bound already (the watch will show it)
      this.log.warn({ pod: `${namespace}/${name}`, node, err: (err as Error).message }, 'binding failed');
      void this.events.event(pod, 'Warning', 'FailedScheduling', `Binding rejected: ${(err as Error).message}`);
      this.queue.addRateLimited(keyOf(pod));
    }
  }

  /** Park the pod and say why, in its PodScheduled condition and a FailedScheduling event. */
  private async unschedulableFound(pod: P, message: string): Promise<void> {
    const key = keyOf(pod);
    this.unschedulable.set(key, Date.now());
    void this.events.event(pod, 'Warning', 'FailedScheduling', message);
    const conds = pod.status?.conditions ?? [];
    const cur = conds.find((c) => c.type === 'PodScheduled');
    if (cur?.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    const cond: PodCondition = {
      type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message,
      lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : new Date().toISOString(),
    };
    try { // strategic merge: conditions merge by type, so only PodScheduled changes
      await this.client.patch(R.pods, pod.metadata!.name!, pod.metadata!.namespace, { status: { conditions: [cond] } }, 'strategic', 'status');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Node changes that can make a parked pod fit (upstream nodeSchedulingPropertiesChange). */
export function nodeChanged(o: Node, c: Node): boolean {
  const j = JSON.stringify;
  const ready = (n: Node) => n.status?.conditions?.find((x) => x.type === 'Ready')?.status;
  return j(o.status?.allocatable) !== j(c.status?.allocatable) || j(o.metadata?.labels) !== j(c.metadata?.labels) ||
    j(o.spec?.taints) !== j(c.spec?.taints) || o.spec?.unschedulable !== c.spec?.unschedulable || ready(o) !== ready(c);
}
