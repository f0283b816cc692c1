// Deployment controller: owns one ReplicaSet per pod-template revision (`<name>-<hash>`), rolls
// from old to new with RollingUpdate (maxSurge/maxUnavailable) or Recreate, tracks revisions in
// the deployment.kubernetes.io/revision annotation, prunes old revisions and reports status.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { isEmptySelector, matchesSelector } from '../../client/labels.js';
import { controllerRef, newControllerRef } from '../util/owners.js';
import { runControllerLoop, type Controller, type Running } from '../util/run.js';
import { fenceposts, newRSReplicas, oldRSScaleDown, REVISION, revisionOf, rsToCleanUp, specReplicas } from './rollout.js';
import { calculateStatus, isComplete, msUntilDeadline, statusEqual, type ProgressEvent } from './status.js';
import { computeHash, equalIgnoreHash, HASH_LABEL } from './template-hash.js';

type D = Deployment & KubeObject;
type RS = ReplicaSet & KubeObject;

const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  readonly queue = new WorkQueue();
  private readonly dInf;
  private readonly rsInf;
  private readonly podInf;
  private readonly events;
  private readonly log = logger('deployment-controller');

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.events = new EventRecorder(client, 'deployment-controller');
    this.dInf = informers.for<Deployment>(R.deployments);
    this.rsInf = informers.for<ReplicaSet>(R.replicasets);
    this.dInf.onChange((d) => this.queue.add(keyOf(d)));
    this.rsInf.onChange((rs) => this.rsChanged(rs));
    // Recreate waits for old pods to be gone: a deleted pod wakes its ReplicaSet's Deployment.
    this.podInf = informers.for<Pod>(R.pods);
    this.podInf.onDelete((p) => {
      const ref = controllerRef(p);
      const rs = ref?.kind === 'ReplicaSet' ? this.rsInf.get(`${p.metadata?.namespace}/${ref.name}`) : undefined;
      if (rs) this.rsChanged(rs);
    });
  }

  enqueueAll(): void { for (const d of this.dInf.list()) this.queue.add(keyOf(d)); }

  private rsChanged(rs: RS): void {
    const ref = controllerRef(rs);
    const ns = rs.metadata?.namespace;
    if (ref) { if (ref.kind === 'Deployment') this.queue.add(`${ns}/${ref.name}`); return; }
    for (const d of this.dInf.list()) { // orphan: a matching Deployment may adopt it
      if (d.metadata?.namespace === ns && matchesSelector(d.spec?.selector, rs.metadata?.labels)) this.queue.add(keyOf(d));
    }
  }

  async sync(key: string): Promise<void> {
    let d = this.dInf.get(key);
    if (!d || d.metadata?.deletionTimestamp) return; // the garbage collector removes what it owned
    if (isEmptySelector(d.spec?.selector)) {
      void this.events.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    let newRS = findNewRS(d, rsList, hash);
    const old = rsList.filter((rs) => rs !== newRS);
    let event: ProgressEvent = newRS && !d.status?.conditions?.some((c) => c.type === 'Progressing') ? 'found' : undefined;

    if (newRS) newRS = await this.syncRevision(newRS, old);
    const written = new Map<string, RS>(); // ReplicaSets written this sync: newer than the cache
    if (!d.spec?.paused) {
      if (d.spec?.strategy?.type === 'Recreate') {
        const r = await this.rolloutRecreate(d, newRS, old, hash, written);
        if (r.created) event = 'created';
        newRS = r.newRS;
      } else {
        if (!newRS) {
          newRS = await this.createNewRS(d, hash, old, newRSReplicas(d, old, emptyRS()));
          event = 'created';
        }
        newRS = await this.rolloutRolling(d, newRS, old, written);
      }
    } else if (newRS && old.every((rs) => specReplicas(rs) === 0) && specReplicas(newRS) !== (d.spec?.replicas ?? 1)) {
      newRS = await this.scale(d, newRS, d.spec?.replicas ?? 1, written); // paused: scaling still applies
    }
    if (newRS) d = await this.syncDeploymentRevision(d, newRS);
    const latest = old.map((rs) => written.get(rs.metadata!.uid as string) ?? rs);
    const all = newRS ? [newRS, ...latest] : latest;
    const status = calculateStatus(d, all, newRS, event);
    if (isComplete(d, status)) await this.cleanup(d, old);
    if (!statusEqual(d.status, status)) {
      try { // merge patch: no resourceVersion, so a concurrent spec edit does not fail the write
        await this.client.patch(R.deployments, d.metadata!.name!, d.metadata!.namespace, { status }, 'merge', 'status');
      } catch (err) { if (!isNotFound(err)) throw err; }
    }
    const wait = msUntilDeadline(d, status);
    if (wait !== undefined) this.queue.addAfter(key, wait);
  }

  /** ReplicaSets this Deployment controls; matching orphans are adopted (upstream ClaimReplicaSets). */
  private async claimReplicaSets(d: D): Promise<RS[]> {
    const out: RS[] = [];
    for (const rs of this.rsInf.list()) {
      if (rs.metadata?.namespace !== d.metadata?.namespace) continue;
      const ref = controllerRef(rs);
      if (ref) { if (ref.uid === d.metadata?.uid && !rs.metadata?.deletionTimestamp) out.push(rs); continue; }
      if (!matchesSelector(d.spec?.selector, rs.metadata?.labels)) continue;
      try {
        const refs = [...(rs.metadata?.ownerReferences ?? []), newControllerRef(d, 'apps/v1', 'Deployment')];
        out.push(await this.client.patch<RS>(R.replicasets, rs.metadata!.name!, rs.metadata!.namespace,
          { metadata: { ownerReferences: refs, resourceVersion: rs.metadata?.resourceVersion } }));
      } catch (err) { if (!isNotFound(err) && !isConflict(err)) throw err; }
    }
    return out;
  }

  /** One step: grow the new ReplicaSet if surge allows, else shrink old ones if availability allows. */
  private async rolloutRolling(d: D, newRS: RS, old: RS[], written: Map<string, RS>): Promise<RS> {
    const all = [newRS, ...old];
    const target = newRSReplicas(d, all, newRS);
    if (target !== specReplicas(newRS)) return this.scale(d, newRS, target, written); // old ones next sync
    const plan = oldRSScaleDown(d, all, newRS, old);
    for (const rs of old) {
      const n = plan.get(rs.metadata!.name!);
      if (n !== undefined) await this.scale(d, rs, n, written);
    }
    return newRS;
  }

  /** Recreate: all old pods down first, then the new ReplicaSet up to the full count. */
  private async rolloutRecreate(d: D, newRS: RS | undefined, old: RS[], hash: string, written: Map<string, RS>): Promise<{ newRS?: RS; created: boolean }> {
    const active = old.filter((rs) => specReplicas(rs) > 0);
    for (const rs of active) await this.scale(d, rs, 0, written);
    // Wait until no pod of an old ReplicaSet is left running (terminating ones included), as
    // upstream's oldPodsRunning: the ReplicaSets' status may lag behind the pods.
    if (active.length || old.some((rs) => (rs.status?.replicas ?? 0) > 0) || this.oldPodsRunning(old)) return { newRS, created: false };
    const want = d.spec?.replicas ?? 1;
    if (!newRS) return { newRS: await this.createNewRS(d, hash, old, want), created: true };
    if (specReplicas(newRS) !== want) newRS = await this.scale(d, newRS, want, written);
    return { newRS, created: false };
  }

  private oldPodsRunning(old: RS[]): boolean {
    const uids = new Set(old.map((rs) => rs.metadata?.uid));
    return this.podInf.list().some((p) => uids.has(controllerRef(p)?.uid)
      && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  }

  private async createNewRS(d: D, hash: string, old: RS[], replicas: number): Promise<RS> {
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
    const sel = d.spec!.selector;
    const [surge] = fenceposts(d);
    const annotations: Record<string, string> = {
      [REVISION]: String(Math.max(0, ...old.map(revisionOf)) + 1),
      [DESIRED]: String(d.spec?.replicas ?? 1),
      [MAX]: String((d.spec?.replicas ?? 1) + surge),
    };
    const cause = d.metadata?.annotations?.[CHANGE_CAUSE];
    if (cause) annotations[CHANGE_CAUSE] = cause;
    const rs: RS = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`, namespace: d.metadata!.namespace,
        labels: template.metadata.labels, annotations,
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: {
        replicas, minReadySeconds: d.spec?.minReadySeconds ?? 0, template,
        selector: { ...sel, matchLabels: { ...(sel.matchLabels ?? {}), [HASH_LABEL]: hash } },
      },
    };
    try {
      const made = await this.client.create(R.replicasets, rs);
      void this.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata!.name} from 0 to ${replicas}`);
      return made;
    } catch (err) {
      if (!isConflict(err)) throw err; // 409 AlreadyExists: same name, so same hash
      const existing = await this.client.get<RS>(R.replicasets, rs.metadata!.name!, d.metadata!.namespace);
      if (controllerRef(existing)?.uid === d.metadata?.uid) return existing;
      // A hash collision with someone else's ReplicaSet: bump collisionCount, rehash next sync.
      const collisionCount = (d.status?.collisionCount ?? 0) + 1;
      await this.client.updateStatus(R.deployments, { ...d, status: { ...(d.status ?? {}), collisionCount } });
      throw new Error(`ReplicaSet ${rs.metadata!.name} exists and is not ours; collisionCount now ${collisionCount}`);
    }
  }

  private async scale(d: D, rs: RS, replicas: number, written: Map<string, RS>): Promise<RS> {
    const from = specReplicas(rs);
    const [surge] = fenceposts(d);
    const out = await this.client.patch<RS>(R.replicasets, rs.metadata!.name!, rs.metadata!.namespace, {
      metadata: { annotations: { [DESIRED]: String(d.spec?.replicas ?? 1), [MAX]: String((d.spec?.replicas ?? 1) + surge) } },
      spec: { replicas },
    });
    written.set(rs.metadata!.uid as string, out);
    const dir = replicas > from ? 'up' : 'down';
    void this.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${dir} replica set ${rs.metadata!.name} from ${from} to ${replicas}`);
    this.log.info({ deployment: keyOf(d), rs: rs.metadata!.name, from, to: replicas }, 'scaled replica set');
    return out;
  }

  /** A rollback to an old template makes its ReplicaSet the newest revision again. */
  private async syncRevision(newRS: RS, old: RS[]): Promise<RS> {
    const want = Math.max(0, ...old.map(revisionOf)) + 1;
    if (revisionOf(newRS) >= want) return newRS;
    return this.client.patch<RS>(R.replicasets, newRS.metadata!.name!, newRS.metadata!.namespace,
      { metadata: { annotations: { [REVISION]: String(want) } } });
  }

  private async syncDeploymentRevision(d: D, newRS: RS): Promise<D> {
    const rev = newRS.metadata?.annotations?.[REVISION];
    if (!rev || d.metadata?.annotations?.[REVISION] === rev) return d;
    return this.client.patch<D>(R.deployments, d.metadata!.name!, d.metadata!.namespace, { metadata: { annotations: { [REVISION]: rev } } });
  }

  private async cleanup(d: D, old: RS[]): Promise<void> {
    for (const rs of rsToCleanUp(d, old)) {
      try {
        await this.client.delete(R.replicasets, rs.metadata!.name!, rs.metadata!.namespace, { uid: rs.metadata!.uid as string });
      } catch (err) { if (!isNotFound(err) && !isConflict(err)) throw err; }
    }
  }
}

const emptyRS = (): RS => ({ spec: { replicas: 0, selector: {} } } as RS);

/** The ReplicaSet running the current template: equal template, else the same hash label (oldest first). */
export function findNewRS<T extends ReplicaSet>(d: Deployment, rsList: T[], hash: string): T | undefined {
  const sorted = [...rsList].sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''));
  return sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template)) ??
    sorted.find((rs) => rs.metadata?.labels?.[HASH_LABEL] === hash);
}

export async function startDeploymentController(client: ApiClient, informers?: SharedInformers, workers = 2): Promise<Running> {
  const inf = informers ?? new SharedInformers(client);
  return runControllerLoop(new DeploymentController(client, inf), inf, !informers, workers);
}
