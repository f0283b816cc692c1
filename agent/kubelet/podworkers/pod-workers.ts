// Pod workers: the kubelet's one loop, shaped like every controller. The pod informer (pods
// bound to this node) and the PLEG enqueue "namespace/name" keys; reconcile(key) makes the
// runtime match the API pod: start it, restart what died, tear down what was deleted or is
// orphaned, then write the status the runtime now shows.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound, type ApiClient } from '../../../control/client/api-client.js';
import type { Informer } from '../../../control/client/informer.js';
import { splitKey } from '../../../control/client/informer.js';
import type { Logger } from '../../../control/client/log.js';
import { R } from '../../../control/client/resources.js';
import { WorkQueue, runController } from '../../../control/client/workqueue.js';
import type { CriRuntime } from '../../cri/runtime.js';
import type { KubeletConfig } from '../config.js';
import type { EventRecorder } from '../events/recorder.js';
import { PodAdmission, rejectedStatus, wasRejected } from '../lifecycle/admission.js';
import { POD_NAME, POD_NAMESPACE, POD_UID } from '../kuberuntime/labels.js';
import type { RuntimeManager } from '../kuberuntime/runtime-manager.js';
import type { KubeletMetrics } from '../metrics.js';
import { computePodStatus } from '../status/pod-status.js';
import type { StatusManager } from '../status/status-manager.js';
import { reclaimHeapSoon } from '../util/heap.js';

export interface PodWorkerDeps {
  cfg: KubeletConfig;
  client: ApiClient;
  cri: CriRuntime;
  runtimeName: string;
  pods: Informer<Pod>;
  runtime: RuntimeManager;
  status: StatusManager;
  events: EventRecorder;
  metrics: KubeletMetrics;
  log: Logger;
}

/** Grace period for runtime pods that no API pod owns any more. */
const ORPHAN_GRACE_SECONDS = 2;
/** Every pod is synced again 60–90 s after its last sync (upstream's syncFrequency with 0.5 jitter),
 * so the periodic syncs of many pods spread out instead of arriving together. */
const RESYNC_MS = 60_000;
const resyncDelay = () => RESYNC_MS * (1 + 0.5 * Math.random());

export class PodWorkers {
  readonly queue = new WorkQueue(200, 30_000);
  private firstSeen = new Map<string, number>();
  private started = new Set<string>();
  private lastStatus = new Map<string, PodStatus>();
  /** Uids already terminated and deleted, so late events for them are no-ops. */
  private terminated = new Set<string>();
  private resyncTimers = new Map<string, NodeJS.Timeout>();

  private readonly admission: PodAdmission;

  constructor(private readonly d: PodWorkerDeps) {
    this.admission = new PodAdmission(d.cfg);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  run(workers = 8): Promise<void> {
    return runController('kubelet', this.queue, (key) => this.reconcile(key), workers);
  }

  stop(): void {
    this.queue.shutDown();
    for (const t of this.resyncTimers.values()) clearTimeout(t);
    this.resyncTimers.clear();
  }

  /** (Re)schedules the periodic sync of key; undefined ms cancels it. */
  private scheduleResync(key: string, ms: number | undefined): void {
    clearTimeout(this.resyncTimers.get(key));
    this.resyncTimers.delete(key);
    if (ms === undefined) return;
    const t = setTimeout(() => { this.resyncTimers.delete(key); this.enqueue(key); }, ms);
    t.unref();
    this.resyncTimers.set(key, t);
  }

  /** One pass of volume refreshes over the running pods, one at a time (the object cache then
   * serves a namespace's shared objects, e.g. kube-root-ca.crt, to all of them from one GET). */
  async refreshVolumes(): Promise<void> {
    for (const pod of this.d.pods.list()) {
      const uid = pod.metadata?.uid ?? '';
      if (!this.started.has(uid) || pod.metadata?.deletionTimestamp || this.terminated.has(uid)) continue;
      await this.d.runtime.refreshVolumes(pod).catch((err: Error) => this.d.log.debug({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: err.message }, 'volume refresh failed'));
    }
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.d.pods.get(key);
    this.scheduleResync(key, pod && !pod.metadata?.deletionTimestamp ? resyncDelay() : undefined);
    await this.removeStrays(namespace!, name, pod?.metadata?.uid);
    if (!pod) return;
    const uid = pod.metadata!.uid!;
    if (this.terminated.has(uid)) return;
    if (pod.metadata?.deletionTimestamp) return this.terminate(pod);
    if (pod.spec?.nodeName !== this.d.cfg.nodeName) return;

    const t0 = Date.now();
    if (!this.firstSeen.has(uid)) {
      if (wasRejected(pod)) return;
      const adm = this.admission.admit(pod, this.d.pods.list());
      if (!adm.admit) {
        if (adm.repeat) return;
        this.d.log.info({ pod: key, reason: adm.reason }, 'pod rejected at admission');
        await this.d.status.setStatus(pod, rejectedStatus(pod, adm, this.d.events));
        return;
      }
      this.firstSeen.set(uid, t0);
      if (!pod.status?.containerStatuses) {
        // Show Pending / ContainerCreating before the slow part.
        await this.writeStatus(pod, { sandboxes: [], containers: [] }, new Map());
      }
    }
    const res = await this.d.runtime.syncPod(pod, this.d.cfg.nodeIp);
    const status = await this.writeStatus(pod, res.runtime, res.waiting);
    this.d.metrics.podWorkerDuration.observe({ operation: 'sync' }, (Date.now() - t0) / 1000);
    const allRunning = (status.containerStatuses ?? []).every((c) => c.state?.running);
    if (allRunning && !this.started.has(uid)) {
      this.started.add(uid);
      const secs = (Date.now() - this.firstSeen.get(uid)!) / 1000;
      this.d.metrics.podStartDuration.observe(secs);
      this.d.log.info({ pod: key, seconds: secs, podIP: status.podIP }, 'pod running');
      reclaimHeapSoon();
    }
    if (res.requeueAfterMs > 0) this.queue.addAfter(key, res.requeueAfterMs);
  }

  private async writeStatus(pod: Pod, runtime: Parameters<typeof computePodStatus>[0]['runtime'], waiting: Parameters<typeof computePodStatus>[0]['waiting']): Promise<PodStatus> {
    const uid = pod.metadata!.uid!;
    // Our last write may be newer than the informer's copy: keep its times stable.
    const last = this.lastStatus.get(uid);
    const base: Pod = last ? { ...pod, status: { ...pod.status, startTime: last.startTime, conditions: mergeConditions(pod.status, last) } } : pod;
    const status = computePodStatus({ pod: base, runtime, waiting, hostIP: this.d.cfg.nodeIp, runtimeName: this.d.runtimeName, probes: this.d.runtime.probes });
    await this.d.status.setStatus(pod, status);
    this.lastStatus.set(uid, status);
    return status;
  }

  /** Pod deleted gracefully: stop everything, then remove the API object for good. */
  private async terminate(pod: Pod): Promise<void> {
    const m = pod.metadata!;
    const grace = m.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.d.log.info({ pod: `${m.namespace}/${m.name}`, grace }, 'terminating pod');
    await this.d.runtime.killPod(m.uid!, pod, grace);
    try {
      await this.d.client.delete(R.pods, m.name!, m.namespace, { gracePeriodSeconds: 0, uid: m.uid });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err; // gone, or already replaced by a new uid
    }
    this.forget(m.uid!);
    this.terminated.add(m.uid!);
    reclaimHeapSoon();
    if (this.terminated.size > 1000) this.terminated.delete(this.terminated.values().next().value!);
  }

  /** Runtime pods under this namespace/name whose uid is not the API pod's: tear them down. */
  private async removeStrays(namespace: string, name: string, keepUid: string | undefined): Promise<void> {
    const sbs = await this.d.cri.listPodSandbox({ label_selector: { [POD_NAMESPACE]: namespace, [POD_NAME]: name } });
    const cs = await this.d.cri.listContainers({ label_selector: { [POD_NAMESPACE]: namespace, [POD_NAME]: name } });
    const uids = new Set([...sbs.map((s) => s.labels[POD_UID]), ...cs.map((c) => c.labels[POD_UID])].filter((u): u is string => !!u && u !== keepUid));
    for (const uid of uids) {
      this.d.log.info({ pod: `${namespace}/${name}`, uid }, 'removing runtime pod without an API pod');
      await this.d.runtime.killPod(uid, undefined, ORPHAN_GRACE_SECONDS);
      this.forget(uid);
    }
  }

  private forget(uid: string): void {
    this.admission.forget(uid);
    this.firstSeen.delete(uid);
    this.started.delete(uid);
    this.lastStatus.delete(uid);
    this.d.status.forget(uid);
    this.d.events.forgetPod(uid);
  }
}

/** Our last conditions, except PodScheduled, which the scheduler owns. */
function mergeConditions(api: PodStatus | undefined, last: PodStatus) {
  const scheduled = api?.conditions?.find((c) => c.type === 'PodScheduled');
  const ours = (last.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  return scheduled ? [...ours, scheduled] : last.conditions;
}
