// Storage object in-use protection (upstream pvcprotection and pvprotection controllers): claims
// and volumes are created with the kubernetes.io/pvc-protection or pv-protection finalizer (by
// the API, resources/volumes.ts); a deleted claim keeps it while a pod that has not finished
// uses it, a deleted volume while it is Bound. Then the finalizer goes and the object with it.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R, type ResourceRef } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { SharedInformers } from '../informers.js';
import { isPodTerminal } from '../util/pods.js';
import type { Controller } from '../util/run.js';

export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION = 'kubernetes.io/pv-protection';

const claimsOf = (p: Pod) => (p.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));

/** Removes `finalizer` from a deleted object (a JSON patch guarded by the finalizer's position). */
async function removeFinalizer(client: ApiClient, r: ResourceRef, o: KubeObject, finalizer: string): Promise<void> {
  const i = (o.metadata?.finalizers ?? []).indexOf(finalizer);
  if (i < 0) return;
  try {
    await client.patch(r, o.metadata!.name!, o.metadata?.namespace, [{ op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer }, { op: 'remove', path: `/metadata/finalizers/${i}` }], 'json');
  } catch (err) { if (!isNotFound(err)) throw err; }
}

export class PVCProtectionController implements Controller {
  readonly name = 'pvc-protection-controller';
  readonly queue = new WorkQueue();
  private readonly pvcInf;
  private readonly podInf;
  private readonly log = logger('pvc-protection-controller');

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.pvcInf = informers.for<PersistentVolumeClaim>(R.persistentvolumeclaims);
    this.podInf = informers.for<Pod>(R.pods);
    this.pvcInf.onChange((c) => { if (c.metadata?.deletionTimestamp) this.queue.add(keyOf(c)); });
    // A pod that finishes or goes may free the claims it used.
    this.podInf.onUpdate((_, p) => { if (isPodTerminal(p)) this.podClaims(p); });
    this.podInf.onDelete((p) => this.podClaims(p));
  }

  private podClaims(p: Pod): void { for (const c of claimsOf(p)) this.queue.add(`${p.metadata?.namespace}/${c}`); }

  enqueueAll(): void { for (const c of this.pvcInf.list()) if (c.metadata?.deletionTimestamp) this.queue.add(keyOf(c)); }

  async sync(key: string): Promise<void> {
    const claim = this.pvcInf.get(key);
    if (!claim?.metadata?.deletionTimestamp || !claim.metadata.finalizers?.includes(PVC_PROTECTION)) return;
    const ns = claim.metadata.namespace, name = claim.metadata.name!;
    const user = this.podInf.list().find((p) => p.metadata?.namespace === ns && !isPodTerminal(p) && claimsOf(p).includes(name));
    if (user) { this.log.debug({ claim: key, pod: user.metadata?.name }, 'claim still in use'); return; }
    await removeFinalizer(this.client, R.persistentvolumeclaims, claim, PVC_PROTECTION);
  }
}

export class PVProtectionController implements Controller {
  readonly name = 'pv-protection-controller';
  readonly queue = new WorkQueue();
  private readonly pvInf;

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.pvInf = informers.for<PersistentVolume>(R.persistentvolumes);
    this.pvInf.onChange((v) => { if (v.metadata?.deletionTimestamp) this.queue.add(keyOf(v)); });
  }

  enqueueAll(): void { for (const v of this.pvInf.list()) if (v.metadata?.deletionTimestamp) this.queue.add(keyOf(v)); }

  async sync(key: string): Promise<void> {
    const pv = this.pvInf.get(key);
    if (!pv?.metadata?.deletionTimestamp || pv.status?.phase === 'Bound') return; // a Bound volume stays until released
    await removeFinalizer(this.client, R.persistentvolumes, pv, PV_PROTECTION);
  }
}
