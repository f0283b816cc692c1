// Garbage collector (upstream garbagecollector, simplified): deletes objects whose owners are all
// gone (ReplicaSets of a deleted Deployment; Pods of a deleted ReplicaSet, DaemonSet, StatefulSet, Job), drops dangling
// ownerReferences, and runs the foregroundDeletion / orphan finalizers on owners being deleted.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../../client/api-client.js';
import { Informer, keyOf, splitKey } from '../../client/informer.js';
import type { ResourceRef } from '../../client/resources.js';
import { W, resourceForKind } from '../util/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { SharedInformers } from '../informers.js';
import { runControllerLoop, type Controller, type Running } from '../util/run.js';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

/** Item keys name the resource too: "replicasets|default/web-5d4f". */
const itemKey = (r: ResourceRef, obj: KubeObject) => `${r.resource}|${keyOf(obj)}`;

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  readonly queue = new WorkQueue();
  private readonly informers = new Map<string, { r: ResourceRef; inf: Informer<KubeObject> }>();
  private readonly dependents = new Map<string, Set<string>>(); // owner uid → item keys
  private readonly log = logger('garbage-collector');

  constructor(private readonly client: ApiClient, informers: SharedInformers, watched: ResourceRef[] = [W.deployments, W.replicasets, W.daemonsets, W.statefulsets, W.controllerrevisions, W.jobs, W.pods, W.persistentvolumeclaims]) {
    for (const r of watched) {
      const inf = informers.for<KubeObject>(r);
      this.informers.set(r.resource, { r, inf });
      inf.onAdd((o) => this.observe(r, o));
      inf.onUpdate((old, cur) => { this.forget(r, old); this.observe(r, cur); });
      inf.onDelete((o) => this.deleted(r, o));
    }
  }

  enqueueAll(): void {
    for (const { r, inf } of this.informers.values()) for (const o of inf.list()) this.observe(r, o);
  }

  private refs(o: KubeObject): OwnerReference[] { return (o.metadata?.ownerReferences ?? []) as OwnerReference[]; }

  private observe(r: ResourceRef, o: KubeObject): void {
    const key = itemKey(r, o);
    for (const ref of this.refs(o)) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(key);
    }
    const fin = (o.metadata?.finalizers ?? []) as string[];
    if (this.refs(o).length || (o.metadata?.deletionTimestamp && (fin.includes(FOREGROUND) || fin.includes(ORPHAN)))) this.queue.add(key);
  }

  private forget(r: ResourceRef, o: KubeObject): void {
    const key = itemKey(r, o);
    for (const ref of this.refs(o)) this.dependents.get(ref.uid)?.delete(key);
  }

  /** An owner went away: its dependents need checking; a dependent went away: owners waiting on it. */
  private deleted(r: ResourceRef, o: KubeObject): void {
    this.forget(r, o);
    for (const k of this.dependents.get(o.metadata?.uid as string) ?? []) this.queue.add(k);
    this.dependents.delete(o.metadata?.uid as string);
    for (const ref of this.refs(o)) {
      const owner = this.findCached(ref, o.metadata?.namespace);
      if (owner) this.queue.add(itemKey(owner.r, owner.obj));
    }
  }

  private findCached(ref: OwnerReference, ns?: string): { r: ResourceRef; obj: KubeObject } | undefined {
    const r = resourceFor(ref);
    const w = r && this.informers.get(r.resource);
    if (!r || !w) return undefined;
    const obj = w.inf.get(r.namespaced && ns ? `${ns}/${ref.name}` : ref.name);
    return obj && obj.metadata?.uid === ref.uid ? { r, obj } : undefined;
  }

  async sync(key: string): Promise<void> {
    const [resource, objKey] = key.split('|') as [string, string];
    const w = this.informers.get(resource);
    const obj = w?.inf.get(objKey);
    if (!w || !obj) return;
    const fin = (obj.metadata?.finalizers ?? []) as string[];
    if (obj.metadata?.deletionTimestamp) {
      if (fin.includes(ORPHAN)) await this.orphanDependents(w.r, obj);
      else if (fin.includes(FOREGROUND)) await this.deleteDependentsFirst(w.r, obj);
      return;
    }
    const refs = this.refs(obj);
    if (!refs.length) return;
    const ns = obj.metadata?.namespace;
    const absent: OwnerReference[] = [];
    for (const ref of refs) if ((await this.ownerState(ref, ns)) === 'absent') absent.push(ref);
    if (!absent.length) return;
    const { name } = splitKey(objKey);
    try {
      if (absent.length === refs.length) {
        this.log.info({ object: key, owners: absent.map((a) => `${a.kind}/${a.name}`) }, 'deleting object whose owners are gone');
        await this.client.delete(w.r, name, ns, { uid: obj.metadata?.uid as string, propagationPolicy: 'Background' });
      } else {
        const gone = new Set(absent.map((a) => a.uid));
        await this.client.patch(w.r, name, ns, {
          metadata: { ownerReferences: refs.filter((x) => !gone.has(x.uid)), resourceVersion: obj.metadata?.resourceVersion },
        });
      }
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** Is the owner there? The cache first; if not there, ask the API (it may be newer than our cache). */
  private async ownerState(ref: OwnerReference, ns?: string): Promise<'present' | 'absent' | 'unknown'> {
    if (this.findCached(ref, ns)) return 'present';
    const r = resourceFor(ref);
    if (!r) return 'unknown'; // a kind we cannot look up: leave its dependents alone
    try {
      const live = await this.client.get<KubeObject>(r, ref.name, r.namespaced ? ns : undefined);
      return live.metadata?.uid === ref.uid ? 'present' : 'absent';
    } catch (err) {
      if (isNotFound(err)) return 'absent';
      throw err;
    }
  }

  private liveDependents(owner: KubeObject): Array<{ r: ResourceRef; obj: KubeObject }> {
    const out: Array<{ r: ResourceRef; obj: KubeObject }> = [];
    for (const k of this.dependents.get(owner.metadata?.uid as string) ?? []) {
      const [resource, objKey] = k.split('|') as [string, string];
      const w = this.informers.get(resource);
      const obj = w?.inf.get(objKey);
      if (w && obj) out.push({ r: w.r, obj });
    }
    return out;
  }

  /** Foreground deletion: delete the dependents, and only when none is left drop the finalizer. */
  private async deleteDependentsFirst(r: ResourceRef, owner: KubeObject): Promise<void> {
    const deps = this.liveDependents(owner);
    for (const { r: dr, obj } of deps) {
      if (obj.metadata?.deletionTimestamp) continue;
      await this.client.delete(dr, obj.metadata!.name!, obj.metadata?.namespace, { propagationPolicy: 'Foreground', uid: obj.metadata?.uid as string })
        .catch((err) => { if (!isNotFound(err) && !isConflict(err)) throw err; });
    }
    const blocking = deps.filter(({ obj }) => this.refs(obj).some((x) => x.uid === owner.metadata?.uid && x.blockOwnerDeletion));
    if (blocking.length === 0) await this.removeFinalizer(r, owner, FOREGROUND);
    // else: each dependent's delete event requeues this owner
  }

  /** Orphan deletion: strip this owner from every dependent's ownerReferences, then the finalizer. */
  private async orphanDependents(r: ResourceRef, owner: KubeObject): Promise<void> {
    for (const { r: dr, obj } of this.liveDependents(owner)) {
      const refs = this.refs(obj).filter((x) => x.uid !== owner.metadata?.uid);
      await this.client.patch(dr, obj.metadata!.name!, obj.metadata?.namespace, { metadata: { ownerReferences: refs } })
        .catch((err) => { if (!isNotFound(err)) throw err; });
    }
    await this.removeFinalizer(r, owner, ORPHAN);
  }

  private async removeFinalizer(r: ResourceRef, obj: KubeObject, f: string): Promise<void> {
    const finalizers = ((obj.metadata?.finalizers ?? []) as string[]).filter((x) => x !== f);
    await this.client.patch(r, obj.metadata!.name!, obj.metadata?.namespace,
      { metadata: { finalizers, resourceVersion: obj.metadata?.resourceVersion } })
      .catch((err) => { if (!isNotFound(err)) throw err; });
  }
}

/** The resource an ownerReference points at, among those tskube serves. */
export function resourceFor(ref: Pick<OwnerReference, 'apiVersion' | 'kind'>): ResourceRef | undefined {
  return resourceForKind(ref.apiVersion, ref.kind);
}

export async function startGarbageCollector(client: ApiClient, informers?: SharedInformers, workers = 2): Promise<Running> {
  const inf = informers ?? new SharedInformers(client);
  return runControllerLoop(new GarbageCollector(client, inf), inf, !informers, workers);
}
