// Objects ↔ storage keys: /registry/<resource>/<namespace>/<name> holding the object as JSON.
// resourceVersion is not stored; it is the key's modRevision, set on every read, so the
// store's compare-and-swap is exactly the API's optimistic concurrency.
import { cachedList, type Backend, type KeyValue, type StoreEvent, type Watcher } from '../store/index.js';
import type { Obj } from './resource-def.js';
import type { ValueTransformer } from './encryption.js';

interface Named { resource: string; namespaced: boolean }

export type ObjEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: Obj; prev?: Obj; revision: number };

export class Store {
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

  /** From the watch cache's mirror (eventually consistent, as an informer's lister). */
  async listCached(def: Named, ns?: string): Promise<{ items: Obj[]; revision: number }> {
    const res = await cachedList(this.backend, this.prefix(def, ns));
    return { items: res.kvs.map((kv) => this.decode(kv)), revision: res.revision };
  }

  /** Mirror first; a miss is checked live (a just-created object may not have arrived yet). */
  async getCached(def: Named, ns: string | undefined, name: string): Promise<Obj | undefined> {
    const key = this.key(def, ns, name);
    const hit = (await cachedList(this.backend, this.prefix(def, ns))).kvs.find((kv) => kv.key === key);
    return hit ? this.decode(hit) : this.get(def, ns, name);
  }

  async create(def: Named, obj: Obj): Promise<Obj> {
    const key = this.key(def, obj.metadata.namespace, obj.metadata.name);
    return this.decode(await this.backend.create(key, this.encode(obj, key)));
  }

  async update(def: Named, obj: Obj, expectedRevision: number): Promise<Obj> {
    const key = this.key(def, obj.metadata.namespace, obj.metadata.name);
    const kv = await this.backend.update(key, this.encode(obj, key), expectedRevision);
    return this.decode(kv);
  }

  async delete(def: Named, ns: string | undefined, name: string, expectedRevision?: number): Promise<Obj> {
    return this.decode(await this.backend.delete(this.key(def, ns, name), expectedRevision));
  }

  watch(def: Named, ns: string | undefined, fromRevision: number, onEvent: (ev: ObjEvent) => void): Watcher {
    return this.backend.watch(this.prefix(def, ns), fromRevision, (ev: StoreEvent) => {
      const revision = ev.kv.modRevision;
      const prev = ev.prev && this.decode(ev.prev);
      if (ev.type === 'DELETE') onEvent({ type: 'DELETED', obj: this.decode(ev.kv, revision), prev, revision });
      else onEvent({ type: ev.kv.createRevision === revision ? 'ADDED' : 'MODIFIED', obj: this.decode(ev.kv), prev, revision });
    });
  }
}
