// ReplicaSet controller: keeps spec.replicas pods matching the selector alive. Creates pods from
// the template, deletes the surplus (cheapest first), adopts orphans whose labels match, and
// waits on expectations so a slow watch never doubles a create. Reports status back.
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, ApiError, isConflict, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { matchesSelector } from '../../client/labels.js';
import { controllerRef, newControllerRef } from '../util/owners.js';
import { isPodActive, msUntilAvailable } from '../util/pods.js';
import { runControllerLoop, errMessage, type Controller, type Running } from '../util/run.js';
import { Expectations } from './expectations.js';
import { computeStatus, podFromTemplate, podsToDelete, statusEqual } from './pods.js';

const BURST = 500; // upstream BurstReplicas: most creates/deletes per sync

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset-controller';
  readonly queue = new WorkQueue();
  readonly expectations = new Expectations();
  private readonly rsInf;
  private readonly podInf;
  private readonly events;
  private readonly log = logger('replicaset-controller');

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.events = new EventRecorder(client, 'replicaset-controller');
    this.rsInf = informers.for<ReplicaSet>(R.replicasets);
    this.podInf = informers.for<Pod>(R.pods);
    this.rsInf.onChange((rs) => this.queue.add(keyOf(rs as KubeObject)));
    this.rsInf.onDelete((rs) => this.expectations.delete(keyOf(rs as KubeObject)));
    this.podInf.onAdd((p) => this.podAdded(p));
    this.podInf.onUpdate((o, c) => this.podUpdated(o, c));
    this.podInf.onDelete((p) => this.podDeleted(p));
  }

  enqueueAll(): void { for (const rs of this.rsInf.list()) this.queue.add(keyOf(rs as KubeObject)); }

  /** The ReplicaSet key controlling a pod, if that ReplicaSet exists with the referenced uid. */
  private ownerKey(pod: Pod): string | undefined {
    const ref = controllerRef(pod as KubeObject);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const key = `${pod.metadata!.namespace}/${ref.name}`;
    const rs = this.rsInf.get(key);
    return rs && rs.metadata?.uid === ref.uid ? key : undefined;
  }

  /** Orphan pods: wake every ReplicaSet whose selector matches, so one can adopt it. */
  private enqueueMatching(pod: Pod): void {
    for (const rs of this.rsInf.list()) {
      if (rs.metadata?.namespace === pod.metadata?.namespace && matchesSelector(rs.spec?.selector, pod.metadata?.labels)) {
        this.queue.add(keyOf(rs as KubeObject));
      }
    }
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);
    const key = this.ownerKey(pod);
    if (key) { this.expectations.creationObserved(key); this.queue.add(key); }
    else if (!controllerRef(pod as KubeObject)) this.enqueueMatching(pod);
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // resync
    if (cur.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      const key = this.ownerKey(cur);
      if (key) this.expectations.deletionObserved(key, keyOf(cur as KubeObject));
    }
    const oldKey = this.ownerKey(old), key = this.ownerKey(cur);
    if (oldKey && oldKey !== key) this.queue.add(oldKey);
    if (key) this.queue.add(key);
    else if (!controllerRef(cur as KubeObject)) this.enqueueMatching(cur);
  }

  private podDeleted(pod: Pod): void {
    const key = this.ownerKey(pod);
    if (!key) return;
    this.expectations.deletionObserved(key, keyOf(pod as KubeObject));
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const rs = this.rsInf.get(key);
    if (!rs) { this.expectations.delete(key); return; }
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.claimPods(rs);
    let manageErr: unknown;
    if (satisfied && !rs.metadata?.deletionTimestamp) {
      try { await this.manageReplicas(key, rs, pods); } catch (err) { manageErr = err; }
    }
    await this.updateStatus(key, rs, pods);
    if (manageErr) throw manageErr;
  }

  /** Active pods this ReplicaSet controls, adopting matching orphans (upstream ClaimPods). */
  private async claimPods(rs: ReplicaSet): Promise<Pod[]> {
    const ns = rs.metadata!.namespace, uid = rs.metadata!.uid;
    const mine: Pod[] = [];
    for (const p of this.podInf.list()) {
      if (p.metadata?.namespace !== ns || !isPodActive(p)) continue;
      const ref = controllerRef(p as KubeObject);
      if (ref) { if (ref.uid === uid) mine.push(p); continue; }
      if (rs.metadata?.deletionTimestamp || !matchesSelector(rs.spec?.selector, p.metadata?.labels)) continue;
      try {
        const refs = [...(p.metadata?.ownerReferences ?? []), newControllerRef(rs as KubeObject, 'apps/v1', 'ReplicaSet')];
        mine.push(await this.client.patch<Pod>(R.pods, p.metadata!.name!, ns, {
          metadata: { ownerReferences: refs, resourceVersion: p.metadata?.resourceVersion },
        }));
        this.log.info({ rs: keyOf(rs as KubeObject), pod: p.metadata?.name }, 'adopted pod');
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return mine;
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      const n = Math.min(-diff, BURST);
      this.expectations.expectCreations(key, n);
      const { failed, skipped } = await slowStartBatch(n, () => this.createPod(key, rs));
      for (let i = 0; i < skipped; i++) this.expectations.creationFailed(key);
      if (failed + skipped) throw new Error(`${failed} of ${n} pod creations failed, ${skipped} skipped`);
    } else if (diff > 0) {
      const victims = podsToDelete(pods, Math.min(diff, BURST));
      this.expectations.expectDeletions(key, victims.map((p) => keyOf(p as KubeObject)));
      const results = await Promise.allSettled(victims.map((p) => this.deletePod(key, rs, p)));
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed) throw new Error(`${failed} of ${victims.length} pod deletions failed`);
    }
  }

  private async createPod(key: string, rs: ReplicaSet): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const pod = podFromTemplate(rs);
      try {
        const made = await this.client.create<Pod & KubeObject>(R.pods, pod as Pod & KubeObject);
        void this.events.event(rs as KubeObject, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata?.name ?? pod.metadata!.name}`);
        return;
      } catch (err) {
        // A random name collided with an existing pod: draw another, as the API server would.
        if (err instanceof ApiError && err.reason === 'AlreadyExists' && attempt < 3) continue;
        this.expectations.creationFailed(key);
        void this.events.event(rs as KubeObject, 'Warning', 'FailedCreate', `Error creating: ${errMessage(err)}`);
        throw err;
      }
    }
  }

  private async deletePod(key: string, rs: ReplicaSet, pod: Pod): Promise<void> {
    const podKey = keyOf(pod as KubeObject);
    try {
      await this.client.delete(R.pods, pod.metadata!.name!, pod.metadata!.namespace, { uid: pod.metadata?.uid as string | undefined });
      void this.events.event(rs as KubeObject, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
    } catch (err) {
      this.expectations.deletionObserved(key, podKey);
      if (isNotFound(err)) return;
      void this.events.event(rs as KubeObject, 'Warning', 'FailedDelete', `Error deleting: ${errMessage(err)}`);
      throw err;
    }
  }

  private async updateStatus(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const status = computeStatus(rs, pods);
    if (!statusEqual(rs.status, status)) {
      try {
        // A merge patch of status: counts come from the pods, not from the ReplicaSet's version,
        // so no resourceVersion (a stale observedGeneration is fixed by the sync its bump causes).
        await this.client.patch(R.replicasets, rs.metadata!.name!, rs.metadata!.namespace, { status }, 'merge', 'status');
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    // Ready-but-not-yet-available pods turn available on a timer, not on an event.
    const min = rs.spec?.minReadySeconds ?? 0;
    const waits = pods.map((p) => msUntilAvailable(p, min)).filter((ms): ms is number => ms !== undefined);
    if (waits.length) this.queue.addAfter(key, Math.min(...waits) + 50);
  }
}

/**
 * upstream slowStartBatch: run fn in batches of 1, 2, 4, … and stop after the first batch with
 * a failure, so a quota or admission error costs one request, not hundreds.
 */
export async function slowStartBatch(count: number, fn: () => Promise<void>, initial = 1): Promise<{ failed: number; skipped: number }> {
  let remaining = count;
  for (let batch = Math.min(initial, count); remaining > 0; batch = Math.min(batch * 2, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, fn));
    remaining -= batch;
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed) return { failed, skipped: remaining };
  }
  return { failed: 0, skipped: 0 };
}

export async function startReplicaSetController(client: ApiClient, informers?: SharedInformers, workers = 2): Promise<Running> {
  const inf = informers ?? new SharedInformers(client);
  return runControllerLoop(new ReplicaSetController(client, inf), inf, !informers, workers);
}
