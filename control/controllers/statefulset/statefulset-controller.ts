// StatefulSet controller (upstream statefulset): members with stable names `<set>-0`, `<set>-1`, …
// started in order (each Running and Ready before the next under OrderedReady), stopped in
// reverse order, rolled from the highest ordinal down; status for `kubectl rollout status sts`.
// Each template is kept as a ControllerRevision (kubectl rollout history / undo statefulset);
// volumeClaimTemplates give each member its own PersistentVolumeClaims (stateful-claims.ts).
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { controllerRef } from '../util/owners.js';
import { W } from '../util/resources.js';
import { errMessage, type Controller } from '../util/run.js';
import { ControllerHistory } from '../history/controller-history.js';
import { claimName, claimOwners, claimsFor, withClaimVolumes } from './stateful-claims.js';
import { computeHash } from '../deployment/template-hash.js';
import { REVISION_LABEL, computeStatus, newStatefulPod, nextStep, ordinalOf } from './stateful-pods.js';

type S = StatefulSet & KubeObject;

export class StatefulSetController implements Controller {
  readonly name = 'statefulset-controller';
  readonly queue = new WorkQueue();
  private readonly setInf;
  private readonly podInf;
  private readonly pvcInf;
  private readonly events;
  private readonly history;

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.events = new EventRecorder(client, 'statefulset-controller');
    this.history = new ControllerHistory(client, informers);
    this.setInf = informers.for<StatefulSet>(W.statefulsets);
    this.podInf = informers.for<Pod>(R.pods);
    this.pvcInf = informers.for<PersistentVolumeClaim>(R.persistentvolumeclaims);
    this.setInf.onChange((s) => this.queue.add(keyOf(s)));
    this.podInf.onChange((p) => {
      const ref = controllerRef(p as KubeObject);
      if (ref?.kind === 'StatefulSet') this.queue.add(`${p.metadata?.namespace}/${ref.name}`);
    });
  }

  enqueueAll(): void { for (const s of this.setInf.list()) this.queue.add(keyOf(s)); }

  async sync(key: string): Promise<void> {
    const s = this.setInf.get(key);
    if (!s || s.metadata?.deletionTimestamp) return;
    const name = s.metadata!.name!;
    const mine = this.podInf.list().filter((p) => p.metadata?.namespace === s.metadata?.namespace && controllerRef(p as KubeObject)?.uid === s.metadata?.uid);
    const inUse = new Set(mine.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.labels?.[REVISION_LABEL] ?? ''));
    await this.history.sync(s, 'apps/v1', 'StatefulSet', computeHash(s.spec?.template, s.status?.collisionCount), inUse);
    const byOrdinal = new Map<number, Pod>();
    for (const p of mine) { const i = ordinalOf(name, p); if (i !== undefined) byOrdinal.set(i, p); }
    await this.retainClaims(s, byOrdinal);
    const step = nextStep(s, byOrdinal);
    if (step.action === 'create') {
      for (const i of step.ordinals) await this.create(s, i);
    } else if (step.action === 'delete') {
      for (const p of step.pods) await this.remove(s, p);
    }
    const status = computeStatus(s, mine);
    const cur = (s.status ?? {}) as Record<string, unknown>;
    if (Object.entries(status).some(([k, v]) => (cur[k] ?? 0) !== v)) {
      try {
        await this.client.patch(W.statefulsets, name, s.metadata!.namespace, { status }, 'merge', 'status');
      } catch (err) { if (!isNotFound(err)) throw err; }
    }
  }

  /** Claim owners per the retention policy, before any condemned member goes (so the GC follows it). */
  private async retainClaims(s: S, byOrdinal: Map<number, Pod>): Promise<void> {
    const templates = s.spec?.volumeClaimTemplates ?? [];
    if (!templates.length) return;
    const ordinals = new Set([...byOrdinal.keys(), ...Array.from({ length: s.spec?.replicas ?? 1 }, (_, i) => i)]);
    for (const t of templates) {
      for (const i of ordinals) {
        const claim = this.pvcInf.get(`${s.metadata!.namespace}/${claimName(t.metadata?.name ?? '', s.metadata!.name!, i)}`);
        const owners = claim && !claim.metadata?.deletionTimestamp ? claimOwners(claim, s, i, byOrdinal.get(i)) : undefined;
        if (!owners) continue;
        try {
          await this.client.patch(R.persistentvolumeclaims, claim!.metadata!.name!, claim!.metadata!.namespace, { metadata: { ownerReferences: owners, resourceVersion: claim!.metadata!.resourceVersion } }, 'merge');
        } catch (err) { if (!isNotFound(err)) throw err; }
      }
    }
  }

  private async create(s: S, ordinal: number): Promise<void> {
    const pod = withClaimVolumes(newStatefulPod(s, ordinal), s, ordinal);
    for (const claim of claimsFor(s, ordinal)) {
      try {
        await this.client.create(R.persistentvolumeclaims, claim as typeof claim & KubeObject);
        void this.events.event(s, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata!.name} Pod ${pod.metadata!.name} in StatefulSet ${s.metadata!.name} success`);
      } catch (err) {
        if (isConflict(err)) continue; // it exists: a member keeps its claim across restarts
        void this.events.event(s, 'Warning', 'FailedCreate', `create Claim ${claim.metadata!.name} for Pod ${pod.metadata!.name} in StatefulSet ${s.metadata!.name} failed error: ${errMessage(err)}`);
        throw err;
      }
    }
    try {
      await this.client.create(R.pods, pod as Pod & KubeObject);
      void this.events.event(s, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${s.metadata!.name} successful`);
    } catch (err) {
      if (isConflict(err)) return; // the old member is still being deleted, or our cache is behind
      void this.events.event(s, 'Warning', 'FailedCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${s.metadata!.name} failed error: ${errMessage(err)}`);
      throw err;
    }
  }

  private async remove(s: S, p: Pod): Promise<void> {
    try {
      await this.client.delete(R.pods, p.metadata!.name!, p.metadata!.namespace, { uid: p.metadata?.uid as string | undefined });
      void this.events.event(s, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata!.name} in StatefulSet ${s.metadata!.name} successful`);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}
