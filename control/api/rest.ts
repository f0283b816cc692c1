// The generic REST verbs over any ResourceDef: get, list, create, update, patch, delete, the
// status and scale subresources and pods/binding. Every write runs the same pipeline:
// defaulting → mutating admission → validation → validating admission → strategy hook →
// store (compare-and-swap).
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Obj, ResourceDef } from './resource-def.js';
import { apiVersionOf } from './resource-def.js';
import type { Store } from './storage.js';
import { StoreError } from '../store/index.js';
import { StatusError, alreadyExists, badRequest, conflict, invalid, notFound, fieldInvalid, methodNotAllowed } from './status.js';
import { applyPatch } from './patch.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { toScale } from './resources/apps.js';
import type { Admission } from './admission/index.js';
import type { UserInfo } from './auth/types.js';
import { logger } from '../client/log.js';

const log = logger('apiserver');

/** `user`: who asked, for admission (set by the HTTP layer when authentication is on). */
export interface Target { def: ResourceDef; namespace?: string; name?: string; sub?: string; user?: UserInfo }

/** RFC 3339 to the second (metav1.Time), formatted once per second. */
let nowCache = { sec: -1, text: '' };
const now = () => {
  const sec = Math.floor(Date.now() / 1000);
  if (sec !== nowCache.sec) nowCache = { sec, text: new Date(sec * 1000).toISOString().slice(0, 19) + 'Z' };
  return nowCache.text;
};
const genSuffix = () => Array.from({ length: 5 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(Math.random() * 27)]).join('');

export class Rest {
  constructor(readonly store: Store, private readonly admission: Admission) {}

  private storeError(err: unknown, t: Target, name: string): never {
    if (err instanceof StoreError) {
      if (err.code === 'KeyExists') throw alreadyExists(t.def.resource, t.def.group, name);
      if (err.code === 'Conflict') throw conflict(t.def.resource, t.def.group, name);
      if (err.code === 'NotFound') throw notFound(t.def.resource, t.def.group, name);
    }
    throw err;
  }

  async get(t: Target): Promise<Obj> {
    const obj = await this.store.get(t.def, t.namespace, t.name!);
    if (!obj) throw notFound(t.def.resource, t.def.group, t.name!);
    if (t.sub === 'scale') return toScale(obj);
    return obj;
  }

  async list(t: Target, q: { labelSelector?: string; fieldSelector?: string }): Promise<Obj> {
    const labels = parseLabelSelector(q.labelSelector);
    const fields = parseFieldSelector(q.fieldSelector);
    const { items, revision } = await this.store.list(t.def, t.namespace);
    return {
      kind: `${t.def.kind}List`, apiVersion: apiVersionOf(t.def),
      metadata: { resourceVersion: String(revision) },
      items: items.filter((o) => labels(o.metadata?.labels) && fields(o)).map((o) => withType(t.def, o)),
    };
  }

  /** Checks the body names the right kind and place, fills metadata a create needs. */
  private checkIdentity(t: Target, body: unknown): Obj {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be a JSON object');
    const obj = body as Obj;
    if (obj.kind && obj.kind !== t.def.kind) throw badRequest(`the kind "${obj.kind}" of the body does not match the resource "${t.def.resource}" (kind ${t.def.kind})`);
    if (obj.apiVersion && obj.apiVersion !== apiVersionOf(t.def)) throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t.def)})`);
    obj.metadata = { ...(obj.metadata ?? {}) };
    if (t.def.namespaced) {
      if (obj.metadata.namespace && t.namespace && obj.metadata.namespace !== t.namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = t.namespace ?? obj.metadata.namespace;
    } else delete obj.metadata.namespace;
    return withType(t.def, obj);
  }

  async create(t: Target, body: unknown): Promise<Obj> {
    const obj = this.checkIdentity(t, body);
    const m = obj.metadata;
    if (!m.name && m.generateName) m.name = `${m.generateName}${genSuffix()}`;
    await wrongTypesAreBadRequests(t, async () => {
      t.def.defaults?.(obj);
      await this.admission.mutate('CREATE', t.def, obj, undefined, undefined, t.user);
      const causes = t.def.validate?.(obj) ?? [];
      if (causes.length) throw invalid(t.def.kind, t.def.group, m.name ?? '', causes);
      await this.admission.validate('CREATE', t.def, obj, undefined, undefined, t.user);
    });
    Object.assign(m, { uid: randomUUID(), creationTimestamp: now(), generation: 1 });
    delete m.resourceVersion; delete m.deletionTimestamp; delete m.deletionGracePeriodSeconds;
    try {
      await t.def.beforeCreate?.(obj, { store: this.store });
      return await this.store.create(t.def, obj);
    } catch (err) {
      await this.release(t, obj);
      this.storeError(err, t, m.name);
    }
  }

  /** Gives back what a failed or superseded write allocated (Service IPs and node ports). */
  private async release(t: Target, ...objs: Obj[]): Promise<void> {
    if (!t.def.release) return;
    for (const o of objs) {
      await t.def.release(o, { store: this.store }).catch((err) => log.warn({ err, resource: t.def.resource, name: o.metadata?.name }, 'release failed'));
    }
  }

  /** PUT of the object, its status, or its scale. */
  async update(t: Target, body: unknown): Promise<Obj> {
    if (t.sub === 'scale') return toScale(await this.patchWith(t, (cur) => ({ ...cur, spec: { ...cur.spec, replicas: (body as Obj)?.spec?.replicas } }), (body as Obj)?.metadata?.resourceVersion));
    const obj = this.checkIdentity(t, body);
    if (obj.metadata.name && obj.metadata.name !== t.name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${t.name})`);
    obj.metadata.name = t.name;
    const cur = await this.store.get(t.def, t.namespace, t.name!);
    if (!cur) throw notFound(t.def.resource, t.def.group, t.name!);
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw conflict(t.def.resource, t.def.group, t.name!);
    return this.save(t, cur, obj);
  }

  /** `check` sees the patched object before anything else (strict field validation). */
  async patch(t: Target, contentType: string, patch: unknown, check?: (patched: Obj) => void): Promise<Obj> {
    if (t.sub === 'scale') {
      const scale = applyPatch(contentType, {}, patch) as Obj;
      return toScale(await this.patchWith(t, (cur) => ({ ...cur, spec: { ...cur.spec, replicas: scale?.spec?.replicas ?? cur.spec?.replicas } })));
    }
    return this.patchWith(t, (cur) => {
      const patched = applyPatch(contentType, cur, patch) as Obj;
      check?.(patched);
      return patched;
    });
  }

  /** Read-modify-write with retries on store conflicts, as upstream's GuaranteedUpdate. */
  private async patchWith(t: Target, change: (cur: Obj) => Obj, precondRv?: string, trusted = false): Promise<Obj> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(t.def, t.namespace, t.name!);
      if (!cur) throw notFound(t.def.resource, t.def.group, t.name!);
      if (precondRv && precondRv !== cur.metadata.resourceVersion) throw conflict(t.def.resource, t.def.group, t.name!);
      const next = this.checkIdentity(t, change(structuredClone(cur)));
      if (next.metadata.name !== t.name) throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${t.name})`);
      if (next.metadata.resourceVersion && next.metadata.resourceVersion !== cur.metadata.resourceVersion) throw conflict(t.def.resource, t.def.group, t.name!);
      try {
        return await this.save(t, cur, next, trusted);
      } catch (err) {
        if (!(err instanceof StatusError && err.reason === 'Conflict') || attempt >= 4 || precondRv) throw err;
      }
    }
  }

  /** `trusted`: a server-side write (binding) that user-update validation must not refuse. */
  private async save(t: Target, cur: Obj, obj: Obj, trusted = false): Promise<Obj> {
    try {
      const saved = await this.saveOnce(t, cur, obj, trusted);
      if (saved !== cur) await this.release(t, cur, obj);
      return saved;
    } catch (err) {
      await this.release(t, obj);
      throw err;
    }
  }

  private async saveOnce(t: Target, cur: Obj, obj: Obj, trusted: boolean): Promise<Obj> {
    const m = obj.metadata;
    // Fields the client does not own.
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (cur.metadata[k] === undefined) delete m[k]; else m[k] = cur.metadata[k];
    }
    if (t.sub === 'status') {
      // Status writes change status (and may touch metadata), never spec.
      obj.spec = cur.spec;
    } else if (t.sub === 'finalize') {
      // namespaces/<n>/finalize changes only spec.finalizers (the namespace controller's write).
      obj.spec = { ...cur.spec, finalizers: obj.spec?.finalizers ?? [] };
      obj.status = cur.status;
    } else if (t.def.statusSubresource) obj.status = cur.status;
    await wrongTypesAreBadRequests(t, async () => {
      t.def.defaults?.(obj);
      await this.admission.mutate('UPDATE', t.def, obj, cur, t.sub, t.user);
      await t.def.beforeUpdate?.(obj, { store: this.store, old: cur });
      const causes = t.sub === 'status' || trusted ? [] : t.def.validate?.(obj, cur) ?? [];
      if (causes.length) throw invalid(t.def.kind, t.def.group, t.name!, causes);
      await this.admission.validate('UPDATE', t.def, obj, cur, t.sub, t.user);
    });
    const specOf = t.def.specOf ?? ((o: Obj) => o.spec);
    if (JSON.stringify(specOf(obj)) !== JSON.stringify(specOf(cur))) m.generation = (cur.metadata.generation ?? 0) + 1;
    // An object being deleted goes away once its last finalizer is removed.
    const specFinalizers = t.def.resource === 'namespaces' ? obj.spec?.finalizers?.length ?? 0 : 0;
    if (m.deletionTimestamp && !(m.finalizers?.length) && !specFinalizers && !(t.def.resource === 'pods' && cur.spec?.nodeName)) {
      return this.removeNow(t, cur);
    }
    // A write that changes nothing is not a write: same resourceVersion, no watch event.
    if (sameContent(obj, cur)) return cur;
    try {
      return await this.store.update(t.def, obj, Number(cur.metadata.resourceVersion));
    } catch (err) { this.storeError(err, t, t.name!); }
  }

  private async removeNow(t: Target, cur: Obj): Promise<Obj> {
    try {
      const gone = await this.store.delete(t.def, t.namespace, t.name!, Number(cur.metadata.resourceVersion));
      await this.release(t, cur);
      return gone;
    } catch (err) { this.storeError(err, t, t.name!); }
  }

  /**
   * DELETE. Bound pods get a grace period (deletionTimestamp; the kubelet stops them, then
   * deletes with grace 0); objects with finalizers wait for them; everything else goes now.
   * Dependents are left to the garbage collector (propagationPolicy Background).
   */
  async delete(t: Target, opts: Obj): Promise<Obj> {
    // Someone else's write between our read and our delete is not the caller's conflict
    // (only a resourceVersion precondition makes it one): read again and retry.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deleteOnce(t, opts);
      } catch (err) {
        const retry = err instanceof StatusError && err.reason === 'Conflict' && !opts.preconditions?.resourceVersion && attempt < 4;
        if (!retry) throw err;
      }
    }
  }

  private async deleteOnce(t: Target, opts: Obj): Promise<Obj> {
    const cur = await this.store.get(t.def, t.namespace, t.name!);
    if (!cur) throw notFound(t.def.resource, t.def.group, t.name!);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== cur.metadata.uid) throw conflict(t.def.resource, t.def.group, t.name!, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) throw conflict(t.def.resource, t.def.group, t.name!, 'Precondition failed: resourceVersion mismatch');
    await this.admission.validate('DELETE', t.def, cur, cur, t.sub, t.user);
    let grace: number | undefined = opts.gracePeriodSeconds;
    if (t.def.resource === 'pods' && cur.spec?.nodeName && cur.status?.phase !== 'Succeeded' && cur.status?.phase !== 'Failed') {
      grace ??= cur.spec.terminationGracePeriodSeconds ?? 30;
    } else grace = 0;
    // Orphan and Foreground propagation are finalizers the garbage collector carries out.
    const policyFinalizer = ({ Orphan: 'orphan', Foreground: 'foregroundDeletion' } as Record<string, string>)[opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : '')];
    const finalizers: string[] = [...(cur.metadata.finalizers ?? [])];
    if (policyFinalizer && !cur.metadata.deletionTimestamp && !finalizers.includes(policyFinalizer)) finalizers.push(policyFinalizer);
    const needsGrace = grace! > 0 || finalizers.length > 0 || t.def.resource === 'namespaces';
    if (!needsGrace) return this.removeNow(t, cur);
    if (cur.metadata.deletionTimestamp && (cur.metadata.deletionGracePeriodSeconds ?? 0) <= grace!) return cur;
    const next = structuredClone(cur);
    if (finalizers.length) next.metadata.finalizers = finalizers;
    next.metadata.deletionTimestamp = new Date(Date.now() + grace! * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    next.metadata.deletionGracePeriodSeconds = grace;
    if (t.def.resource === 'namespaces') next.status = { ...next.status, phase: 'Terminating' };
    try {
      return await this.store.update(t.def, next, Number(cur.metadata.resourceVersion));
    } catch (err) { this.storeError(err, t, t.name!); }
  }

  /** DELETE on a collection: every object matching the selectors, each with the same options. */
  async deleteCollection(t: Target, q: { labelSelector?: string; fieldSelector?: string }, opts: Obj): Promise<Obj> {
    const list = await this.list(t, q);
    const items: Obj[] = [];
    for (const o of list.items) {
      try {
        items.push(await this.delete({ ...t, namespace: o.metadata.namespace, name: o.metadata.name }, opts));
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    }
    return { ...list, items };
  }

  /** POST pods/<name>/eviction (policy/v1 Eviction): a delete with the eviction's options. */
  async evict(t: Target, body: unknown): Promise<Obj> {
    const ev = (body ?? {}) as Obj;
    if (ev.kind && ev.kind !== 'Eviction') throw badRequest(`expected an Eviction, got ${ev.kind}`);
    await this.delete({ ...t, sub: undefined }, ev.deleteOptions ?? {});
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  /** POST pods/<name>/binding: set spec.nodeName once, as the scheduler's only write. */
  async bind(t: Target, body: unknown): Promise<Obj> {
    const b = body as Obj;
    const node = b?.target?.name;
    if (!node) throw invalid('Binding', '', t.name!, [fieldInvalid('target.name', node, 'must name a node')]);
    await this.patchWith({ ...t, sub: undefined }, (cur) => {
      if (cur.spec?.nodeName) throw conflict('pods/binding', '', t.name!, `pod ${t.name} is already assigned to node "${cur.spec.nodeName}"`);
      if (cur.metadata.deletionTimestamp) throw conflict('pods/binding', '', t.name!, 'pod is being deleted');
      cur.spec.nodeName = node;
      return cur;
    }, undefined, true);
    // PodScheduled=True, as upstream's binding storage records it.
    await this.patchWith({ ...t, sub: 'status' }, (cur) => {
      const conds = (cur.status?.conditions ?? []).filter((c: Obj) => c.type !== 'PodScheduled');
      cur.status = { ...cur.status, conditions: [...conds, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now() }] };
      return cur;
    });
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  notAllowed(verb: string, t: Target): never {
    throw methodNotAllowed(`the server does not allow this method on the requested resource (${verb} ${t.def.resource}${t.sub ? '/' + t.sub : ''})`);
  }
}

/**
 * A body whose fields have the wrong JSON types (a number where a list belongs) makes the
 * strategy code trip; upstream fails such bodies while decoding, with 400 BadRequest.
 */
async function wrongTypesAreBadRequests(t: Target, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (err) {
    if (err instanceof TypeError) throw badRequest(`the body of the request does not have the shape of a ${t.def.kind}: ${err.message}`);
    throw err;
  }
}

/** Deep equality ignoring resourceVersion and key order. */
function sameContent(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => ({ ...o, apiVersion: undefined, kind: undefined, metadata: { ...o.metadata, resourceVersion: undefined } });
  return isDeepStrictEqual(strip(a), strip(b));
}

export function withType(def: ResourceDef, obj: Obj): Obj {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return { apiVersion: apiVersionOf(def), kind: def.kind, ...rest };
}
