// PersistentVolume binder (upstream persistentvolume.PersistentVolumeController, static binding):
// informers on claims and volumes feed one queue of "claim:<ns>/<name>" and "volume:<name>" keys.
// A Pending claim is bound to the best Available volume (binder.ts) in upstream's order — volume
// claimRef, volume phase Bound, claim volumeName + annotations, claim status — and a volume whose
// claim is gone is Released and reclaimed by its policy (Retain keeps it; Delete removes a hostPath PV).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import type { Controller } from '../util/run.js';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, findBestMatch, isDelayBinding, isVolumeBoundToClaim, mismatch, storageClassOf } from './binder.js';

type PV = PersistentVolume & KubeObject;
type PVC = PersistentVolumeClaim & KubeObject;

const rv = (o: KubeObject | undefined) => Number(o?.metadata?.resourceVersion ?? 0);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder-controller';
  readonly queue = new WorkQueue();
  private readonly pvInf;
  private readonly pvcInf;
  private readonly scInf;
  private readonly events;
  private readonly log = logger('persistentvolume-controller');
  /** Objects this controller wrote, newer than the informer may show yet (upstream's assume cache). */
  private readonly written = new Map<string, KubeObject>();

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.events = new EventRecorder(client, 'persistentvolume-controller');
    this.pvInf = informers.for<PersistentVolume>(R.persistentvolumes);
    this.pvcInf = informers.for<PersistentVolumeClaim>(R.persistentvolumeclaims);
    this.scInf = informers.for<StorageClass>(R.storageclasses);
    this.pvInf.onAdd((v) => this.volumeChanged(v));
    this.pvInf.onUpdate((_, v) => this.volumeChanged(v));
    this.pvInf.onDelete((v) => { this.written.delete(`volume:${keyOf(v)}`); if (v.spec?.claimRef) this.queue.add(`claim:${v.spec.claimRef.namespace}/${v.spec.claimRef.name}`); });
    this.pvcInf.onAdd((c) => this.queue.add(`claim:${keyOf(c)}`));
    this.pvcInf.onUpdate((_, c) => this.queue.add(`claim:${keyOf(c)}`));
    this.pvcInf.onDelete((c) => this.claimDeleted(c));
    this.scInf.onAdd(() => { for (const c of this.pvcInf.list()) if (!c.spec?.volumeName) this.queue.add(`claim:${keyOf(c)}`); });
  }

  enqueueAll(): void {
    for (const v of this.pvInf.list()) this.queue.add(`volume:${keyOf(v)}`);
    for (const c of this.pvcInf.list()) this.queue.add(`claim:${keyOf(c)}`);
  }

  /** A new or changed volume may be what a Pending claim waits for. */
  private volumeChanged(v: PV): void {
    this.queue.add(`volume:${keyOf(v)}`);
    for (const c of this.pvcInf.list()) if (!c.spec?.volumeName || c.spec.volumeName === v.metadata?.name) this.queue.add(`claim:${keyOf(c)}`);
  }

  private claimDeleted(c: PVC): void {
    this.written.delete(`claim:${keyOf(c)}`);
    for (const v of this.pvInf.list()) if (v.spec?.claimRef?.uid === c.metadata?.uid || v.metadata?.name === c.spec?.volumeName) this.queue.add(`volume:${keyOf(v)}`);
  }

  /** The newest copy we know of: the informer's, or the one we just wrote. */
  private latest<T extends KubeObject>(kind: 'claim' | 'volume', o: T | undefined): T | undefined {
    if (!o) return undefined;
    const w = this.written.get(`${kind}:${keyOf(o)}`) as T | undefined;
    if (w && w.metadata?.uid === o.metadata?.uid && rv(w) > rv(o)) return w;
    if (w) this.written.delete(`${kind}:${keyOf(o)}`);
    return o;
  }
  private volume(name: string | undefined): PV | undefined { return name ? this.latest('volume', this.pvInf.get(name)) : undefined; }
  private volumes(): PV[] { return this.pvInf.list().map((v) => this.latest('volume', v)!); }
  private remember<T extends KubeObject>(kind: 'claim' | 'volume', o: T): T { this.written.set(`${kind}:${keyOf(o)}`, o); return o; }

  async sync(key: string): Promise<void> {
    const i = key.indexOf(':');
    const kind = key.slice(0, i), name = key.slice(i + 1);
    if (kind === 'claim') {
      const c = this.latest('claim', this.pvcInf.get(name));
      if (c && !c.metadata?.deletionTimestamp) await this.syncClaim(c);
    } else {
      const v = this.volume(name); // a volume being deleted still gets Released (pv-protection waits for that)
      if (v) await this.syncVolume(v);
    }
  }

  // ── claims ────────────────────────────────────────────────────────────────────────────────
  private async syncClaim(claim: PVC): Promise<void> {
    const bound = claim.metadata?.annotations?.[ANN_BIND_COMPLETED] !== undefined;
    const wanted = claim.spec?.volumeName;
    if (!bound && !wanted) {
      const delayBinding = isDelayBinding(claim, (n) => this.scInf.get(n));
      const pv = findBestMatch(claim, this.volumes(), { delayBinding });
      if (pv) return this.bind(pv, claim);
      const cls = storageClassOf(claim);
      const sc = cls ? this.scInf.get(cls) : undefined;
      if (delayBinding) void this.events.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      else if (sc) void this.events.event(claim, 'Normal', 'ExternalProvisioning', `waiting for a volume to be created, either by external provisioner "${sc.provisioner}" or manually created by system administrator`);
      else if (cls) void this.events.event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      else void this.events.event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return this.claimPhase(claim, 'Pending');
    }
    const pv = this.volume(wanted);
    if (!bound) { // pre-bound by the user to a named volume
      if (!pv) return this.claimPhase(claim, 'Pending');
      if (pv.spec?.claimRef && !isVolumeBoundToClaim(pv, claim)) {
        void this.events.event(claim, 'Warning', 'FailedBinding', `volume "${wanted}" already bound to a different claim.`);
        return this.claimPhase(claim, 'Pending');
      }
      const why = pv.spec?.claimRef ? undefined : mismatch(pv, claim);
      if (why) {
        void this.events.event(claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${wanted}": ${why}`);
        return this.claimPhase(claim, 'Pending');
      }
      return this.bind(pv, claim);
    }
    // Bound before: keep it so, or say it was lost.
    if (!pv) {
      if (claim.status?.phase !== 'Lost') void this.events.event(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      return this.claimPhase(claim, 'Lost');
    }
    if (!pv.spec?.claimRef || isVolumeBoundToClaim(pv, claim)) return this.bind(pv, claim);
    if (claim.status?.phase !== 'Lost') void this.events.event(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
    return this.claimPhase(claim, 'Lost');
  }

  /** upstream bind(): volume → claimRef, volume phase, claim → volumeName + annotations, claim status. Each step idempotent. */
  private async bind(pv: PV, claim: PVC): Promise<void> {
    const name = pv.metadata!.name!;
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata?.uid || ref.name !== claim.metadata?.name) {
      const next = structuredClone(pv);
      next.spec!.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid, resourceVersion: claim.metadata!.resourceVersion };
      if (!ref) next.metadata!.annotations = { ...next.metadata!.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      pv = this.remember('volume', await this.client.update<PV>(R.persistentvolumes, next));
    }
    pv = await this.volumePhase(pv, 'Bound');
    const ann = claim.metadata?.annotations ?? {};
    if (claim.spec?.volumeName !== name || ann[ANN_BIND_COMPLETED] === undefined) {
      const next = structuredClone(claim);
      const byUs = claim.spec?.volumeName !== name;
      next.spec!.volumeName = name;
      next.metadata!.annotations = { ...ann, [ANN_BIND_COMPLETED]: 'yes', ...(byUs ? { [ANN_BOUND_BY_CONTROLLER]: 'yes' } : {}) };
      claim = this.remember('claim', await this.client.update<PVC>(R.persistentvolumeclaims, next));
      this.log.info({ claim: keyOf(claim), volume: name }, 'bound');
    }
    const st = claim.status ?? {};
    if (st.phase !== 'Bound' || JSON.stringify(st.accessModes) !== JSON.stringify(pv.spec?.accessModes) || JSON.stringify(st.capacity) !== JSON.stringify(pv.spec?.capacity)) {
      const next = { ...claim, status: { ...st, phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity } };
      this.remember('claim', await this.client.updateStatus<PVC>(R.persistentvolumeclaims, next));
    }
  }

  private async claimPhase(claim: PVC, phase: string): Promise<void> {
    if (claim.status?.phase === phase) return;
    this.remember('claim', await this.client.updateStatus<PVC>(R.persistentvolumeclaims, { ...claim, status: { ...claim.status, phase } }));
  }

  // ── volumes ───────────────────────────────────────────────────────────────────────────────
  private async syncVolume(pv: PV): Promise<void> {
    const ref = pv.spec?.claimRef;
    if (!ref || !ref.uid) { // unused, or pre-bound by the user to a claim that will come
      await this.volumePhase(pv, 'Available');
      if (ref?.name) this.queue.add(`claim:${ref.namespace}/${ref.name}`);
      return;
    }
    let claim = this.latest('claim', this.pvcInf.get(`${ref.namespace}/${ref.name}`));
    if (claim && claim.metadata?.uid !== ref.uid) claim = undefined; // same name, another claim
    if (!claim) return this.reclaim(pv);
    if (!claim.spec?.volumeName) { // half-way through bind(): the claim's sync finishes it
      this.queue.add(`claim:${keyOf(claim)}`);
      return;
    }
    if (claim.spec.volumeName === pv.metadata?.name) { await this.volumePhase(pv, 'Bound'); return; }
    // The claim went to another volume: undo our own binding; a user's pre-binding stays as it is.
    if (pv.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER] === undefined) return;
    const next = structuredClone(pv);
    delete next.spec!.claimRef;
    delete next.metadata!.annotations![ANN_BOUND_BY_CONTROLLER];
    await this.volumePhase(this.remember('volume', await this.client.update<PV>(R.persistentvolumes, next)), 'Available');
  }

  /** The claim is gone: Released, then the reclaim policy. */
  private async reclaim(pv: PV): Promise<void> {
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') pv = await this.volumePhase(pv, 'Released');
    if (pv.status?.phase === 'Failed') return;
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    if (policy === 'Delete' && pv.spec?.hostPath) {
      try {
        await this.client.delete(R.persistentvolumes, pv.metadata!.name!, undefined, { uid: pv.metadata?.uid });
        this.log.info({ volume: pv.metadata?.name }, 'deleted released volume');
      } catch (err) { if (!isNotFound(err)) throw err; }
      return;
    }
    const [reason, message] = policy === 'Delete'
      ? ['VolumeFailedDelete', `error getting deleter volume plugin for volume "${pv.metadata?.name}": no deletable volume plugin matched`]
      : ['VolumeFailedRecycle', 'No recycler plugin found for the volume!'];
    void this.events.event(pv, 'Warning', reason, message);
    await this.volumePhase(pv, 'Failed', message);
  }

  private async volumePhase(pv: PV, phase: string, message?: string): Promise<PV> {
    if (pv.status?.phase === phase && pv.status?.message === message) return pv;
    const status = { ...pv.status, phase, message, lastPhaseTransitionTime: pv.status?.phase === phase ? pv.status.lastPhaseTransitionTime : now() };
    if (message === undefined) delete status.message;
    return this.remember('volume', await this.client.updateStatus<PV>(R.persistentvolumes, { ...pv, status }));
  }
}
