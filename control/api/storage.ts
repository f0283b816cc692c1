// Objects ↔ storage keys: /registry/<resource>/<namespace>/<name> holding the object as JSON.
// resourceVersion is not stored; it is the key's modRevision, set on every read, so the
// store's compare-and-swap is exactly the API's optimistic concurrency.
import { cachedGet, cachedList, type Backend, type KeyValue, type ListResult, type StoreEvent, type Watcher } from '../store/index.js';
import type { Obj } from './resource-def.js';
import type { ValueTransformer } from './encryption.js';

interface Named { resource: string; namespaced: boolean }

export type ObjEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: Obj; prev?: Obj; revision: number };

export class Store {
  /** The last event decoded: the watch cache hands it to every watcher in one go. One slot,
   *  not a map, so decoded objects do not live on beside the cache's history. */
  private lastEvent?: { ev: StoreEvent; decoded: ObjEvent };
  private readonly sharedObjs = new WeakMap<KeyValue, Obj>();
  /** `transformer` encrypts values at rest (secrets, --encryption-provider-config). */
  constructor(readonly backend: Backend, private readonly transformer?: ValueTransformer) {}

  key(def: Named, ns: string | undefined, name: string): string {
    return def.namespaced ? `/registry/${def.resource}/${ns}/${name}` : `/registry/${def.resource}/${name}`;
  }

  prefix(def: Named, ns?: string): string {
    return def.namespaced && ns ? `/registry/${def.resource}/${ns}/` : `/registry/${def.resource}/`;
  }

  decode(kv: KeyValue, revision = kv.modRevision): Obj {
    const obj = JSON.parse(this.transformer ? this.transformer.fromStorage(kv.key, kv.value) : kv.value) as Obj;
    obj.metadata = { ...obj.metadata, resourceVersion: String(revision) };
    return obj;
  }

  /** What decode(kv) would give for an object just written as `obj` (no JSON round trip). */
  private written(obj: Obj, revision: number): Obj {
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
  }

  private encode(obj: Obj, key: string): string {
    const { resourceVersion: _rv, ...meta } = obj.metadata ?? {};
    const json = JSON.stringify({ ...obj, metadata: meta });
    return this.transformer ? this.transformer.toStorage(key, json) : json;
  }

  async get(def: Named, ns: string | undefined, name: string): Promise<Obj | undefined> {
    const kv = await this.backend.get(this.key(def, ns, name));
    return kv && this.decode(kv);
  }

  async list(def: Named, ns?: string): Promise<{ items: Obj[]; revision: number }> {
    const res = await this.backend.list(this.prefix(def, ns));
    return { items: res.kvs.map((kv) => this.decode(kv)), revision: res.revision };
  }

  /** decode, once per stored value: the mirror's objects are parsed once and shared, frozen
   *  (admission reads them on every create; a plugin that tried to change one would throw). */
  private decodeShared(kv: KeyValue): Obj {
    let obj = this.sharedObjs.get(kv);
    if (!obj) this.sharedObjs.set(kv, obj = deepFreeze(this.decode(kv)));
    return obj;
  }

  /** The stored values under the prefix, undecoded (for a list written as it is decoded). */
  listRaw(def: Named, ns?: string): Promise<ListResult> {
    return this.backend.list(this.prefix(def, ns));
  }

  /** From the watch cache's mirror (eventually consistent, as an informer's lister). */
  async listCached(def: Named, ns?: string): Promise<{ items: Obj[]; revision: number }> {
    const res = await cachedList(this.backend, this.prefix(def, ns));
    return { items: res.kvs.map((kv) => this.decodeShared(kv)), revision: res.revision };
  }

  /** Mirror first; a miss is checked live (a just-created object may not have arrived yet). */
  async getCached(def: Named, ns: string | undefined, name: string): Promise<Obj | undefined> {
    const hit = await cachedGet(this.backend, this.key(def, ns, name));
    return hit ? this.decodeShared(hit) : this.get(def, ns, name);
  }

  async create(def: Named, obj: Obj): Promise<Obj> {
    const key = this.key(def, obj.metadata.namespace, obj.metadata.name);
    return this.written(obj, (await this.backend.create(key, this.encode(obj, key))).modRevision);
  }

  async update(def: Named, obj: Obj, expectedRevision: number): Promise<Obj> {
    const key = this.key(def, obj.metadata.namespace, obj.metadata.name);
    const kv = await this.backend.update(key, this.encode(obj, key), expectedRevision);
    return this.written(obj, kv.modRevision);
  }

  async delete(def: Named, ns: string | undefined, name: string, expectedRevision?: number): Promise<Obj> {
    return this.decode(await this.backend.delete(this.key(def, ns, name), expectedRevision));
  }

  /**
   * Watchers share one decoded event: the watch cache hands every watcher the same StoreEvent
   * back to back, so it is parsed once, not once per watcher. Receivers must not mutate
   * ev.obj / ev.prev.
   */
  watch(def: Named, ns: string | undefined, fromRevision: number, onEvent: (ev: ObjEvent) => void): Watcher {
    return this.backend.watch(this.prefix(def, ns), fromRevision, (ev: StoreEvent) => {
      let decoded = this.lastEvent?.ev === ev ? this.lastEvent.decoded : undefined;
      if (!decoded) {
        const revision = ev.kv.modRevision;
        const prev = ev.prev && this.decode(ev.prev);
        decoded = ev.type === 'DELETE'
          ? { type: 'DELETED', obj: this.decode(ev.kv, revision), prev, revision }
          : { type: ev.kv.createRevision === revision ? 'ADDED' : 'MODIFIED', obj: this.decode(ev.kv), prev, revision };
        this.lastEvent = { ev, decoded };
      }
      onEvent(decoded);
    });
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
