// Service ClusterIP and NodePort reservations that hold across concurrent creates and across
// API servers sharing one store: each allocated IP or port is a key of its own
// (/registry/ranges/serviceips/<ip>, /registry/ranges/servicenodeports/<port>) written with the
// store's create-if-absent and naming its Service's uid, so exactly one writer wins a value.
import { StoreError, type Backend } from '../../store/index.js';
import type { Obj } from '../resource-def.js';
import type { Store } from '../storage.js';
import { logger } from '../../client/log.js';

const log = logger('service-allocator');

export const ipsPrefix = '/registry/ranges/serviceips/';
export const portsPrefix = '/registry/ranges/servicenodeports/';
/** Written once every existing Service's values are reserved (the per-value keys' migration). */
const markers = { [ipsPrefix]: '/registry/ranges/serviceips', [portsPrefix]: '/registry/ranges/servicenodeports' };

interface Owner { namespace: string; name: string; uid: string }
const ownerOf = (svc: Obj): Owner => ({ namespace: svc.metadata.namespace, name: svc.metadata.name, uid: svc.metadata.uid });
const isKeyExists = (err: unknown) => err instanceof StoreError && err.code === 'KeyExists';

/** The reservation keys a Service's spec holds. */
export function heldKeys(svc: Obj | undefined): string[] {
  const spec = svc?.spec ?? {};
  const ips = new Set<string>([spec.clusterIP, ...(spec.clusterIPs ?? [])].filter((ip) => ip && ip !== 'None'));
  const ports = new Set<number>((spec.ports ?? []).map((p: Obj) => p.nodePort).filter((n: unknown) => Number.isInteger(n)));
  return [...[...ips].map((ip) => ipsPrefix + ip), ...[...ports].map((p) => portsPrefix + p)];
}

/** Takes `key` for owner. Answers undefined when owner holds it now (newly, or already before),
 *  else the Service holding it. */
export async function reserve(backend: Backend, key: string, owner: Owner): Promise<Owner | undefined> {
  for (;;) {
    try {
      await backend.create(key, JSON.stringify(owner));
      return undefined;
    } catch (err) {
      if (!isKeyExists(err)) throw err;
      const cur = await backend.get(key);
      const holder = cur && (JSON.parse(cur.value) as Owner);
      if (holder) return holder.uid === owner.uid ? undefined : holder;
      // Released between our create and our read: try again.
    }
  }
}

/**
 * Reserves a free value of a range of `size`: a random start, then a linear probe (upstream's
 * random-scan allocator) over values neither in the store nor refused by `skip`. A value another
 * writer takes between our list and our create is skipped, never shared.
 */
export async function reserveAny(backend: Backend, prefix: string, size: number, valueAt: (i: number) => string,
  skip: (v: string) => boolean, owner: Owner): Promise<string | undefined> {
  const used = new Set((await backend.list(prefix)).kvs.map((kv) => kv.key.slice(prefix.length)));
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const v = valueAt((start + i) % size);
    if (used.has(v) || skip(v)) continue;
    try {
      await backend.create(prefix + v, JSON.stringify(owner));
      return v;
    } catch (err) {
      if (!isKeyExists(err)) throw err;
    }
  }
  return undefined;
}

/**
 * Frees the reservations `svc` holds that the stored Service of the same uid no longer holds:
 * after a failed create or update of svc, and after svc was replaced or deleted. Only keys still
 * naming svc's uid are deleted, at the revision read, so another Service's claim is never lost.
 */
export async function release(store: Store, svc: Obj): Promise<void> {
  const uid = svc.metadata?.uid;
  if (!uid) return;
  const stored = await store.get({ resource: 'services', namespaced: true }, svc.metadata.namespace, svc.metadata.name);
  const keep = new Set(stored?.metadata.uid === uid ? heldKeys(stored) : []);
  for (const key of heldKeys(svc)) {
    if (keep.has(key)) continue;
    const cur = await store.backend.get(key);
    if (!cur || (JSON.parse(cur.value) as Owner).uid !== uid) continue;
    try {
      await store.backend.delete(key, cur.modRevision);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err; // changed or gone meanwhile: not ours to free
    }
  }
}

const migrations = new WeakMap<Backend, Promise<void>>();

/**
 * Before the first allocation on a store: if the per-value keys were never written (a store
 * from before them), reserve every existing Service's values from the Services list. Safe to
 * run on several API servers at once; a value two old Services share is logged and left alone.
 */
export function ensureMigrated(store: Store): Promise<void> {
  let p = migrations.get(store.backend);
  if (!p) {
    p = migrate(store);
    migrations.set(store.backend, p);
    p.catch(() => migrations.delete(store.backend));
  }
  return p;
}

async function migrate(store: Store): Promise<void> {
  const missing = [];
  for (const marker of Object.values(markers)) if (!(await store.backend.get(marker))) missing.push(marker);
  if (!missing.length) return;
  const { items } = await store.list({ resource: 'services', namespaced: true });
  let reserved = 0;
  for (const svc of items) {
    for (const key of heldKeys(svc)) {
      if (!(await reserve(store.backend, key, ownerOf(svc)))) reserved++;
      else log.warn({ key, service: `${svc.metadata.namespace}/${svc.metadata.name}` }, 'value already held by another Service');
    }
  }
  for (const marker of missing) {
    // A marker, not upstream's bitmap: the per-value keys under it are the allocation state.
    const value = JSON.stringify({ kind: 'RangeAllocation', apiVersion: 'v1', metadata: {}, range: marker.endsWith('ips') ? '10.96.0.0/12' : '30000-32767' });
    try { await store.backend.create(marker, value); } catch (err) { if (!isKeyExists(err)) throw err; }
  }
  log.info({ services: items.length, reserved }, 'reserved existing Services\' cluster IPs and node ports');
}

export { ownerOf };
