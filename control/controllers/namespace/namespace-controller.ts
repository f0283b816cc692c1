// Namespace controller (upstream namespace/deletion): a Terminating namespace is emptied of
// every namespaced resource the API server serves (found through discovery), then its
// `kubernetes` finalizer is removed through namespaces/<n>/finalize and the API deletes it.
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R, resourcePath, type ResourceRef } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { SharedInformers } from '../informers.js';
import { type Controller } from '../util/run.js';

const FINALIZER = 'kubernetes';
const RECHECK_MS = 2_000; // content still going away (graceful pod deletion): look again soon
const DISCOVERY_TTL_MS = 30_000;

interface ApiResource { name: string; namespaced: boolean; kind: string; verbs: string[] }

/** Namespaced, listable and deletable resources from one discovery document (subresources skipped). */
export function deletableResources(group: string, version: string, list: ApiResource[]): ResourceRef[] {
  return list
    .filter((r) => r.namespaced && !r.name.includes('/') && r.verbs.includes('list') && r.verbs.includes('deletecollection'))
    .map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: true }));
}

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  readonly queue = new WorkQueue(500, 30_000);
  private readonly nsInf;
  private discovered?: { at: number; refs: ResourceRef[] };
  private readonly log = logger('namespace-controller');

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.nsInf = informers.for<Namespace>(R.namespaces);
    this.nsInf.onAdd((n) => { if (n.metadata?.deletionTimestamp) this.queue.add(keyOf(n)); });
    this.nsInf.onUpdate((_, n) => { if (n.metadata?.deletionTimestamp) this.queue.add(keyOf(n)); });
  }

  enqueueAll(): void { for (const n of this.nsInf.list()) if (n.metadata?.deletionTimestamp) this.queue.add(keyOf(n)); }

  /** Every namespaced resource the server serves (upstream uses discovery the same way). */
  private async resources(): Promise<ResourceRef[]> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered.refs;
    const refs: ResourceRef[] = [];
    const core = await this.client.request<{ resources: ApiResource[] }>('GET', '/api/v1');
    refs.push(...deletableResources('', 'v1', core.resources));
    const groups = await this.client.request<{ groups: Array<{ name: string; preferredVersion: { version: string } }> }>('GET', '/apis');
    for (const g of groups.groups) {
      const v = g.preferredVersion.version;
      const doc = await this.client.request<{ resources: ApiResource[] }>('GET', `/apis/${g.name}/${v}`);
      refs.push(...deletableResources(g.name, v, doc.resources));
    }
    // Events last: what happened while emptying the namespace stays visible until the end.
    refs.sort((a, b) => Number(a.resource === 'events') - Number(b.resource === 'events'));
    this.discovered = { at: Date.now(), refs };
    return refs;
  }

  async sync(key: string): Promise<void> {
    const ns = this.nsInf.get(key);
    if (!ns?.metadata?.deletionTimestamp) return;
    const name = ns.metadata.name!;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER)) return; // our part is done
    const remaining = await this.deleteContent(name);
    if (remaining.size > 0) {
      await this.setCondition(ns, remaining);
      this.queue.addAfter(key, RECHECK_MS);
      return;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER);
    try {
      await this.client.request('PUT', resourcePath(R.namespaces, undefined, name, 'finalize'),
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: ns.metadata.resourceVersion }, spec: { finalizers } });
      this.log.info({ namespace: name }, 'namespace emptied and finalized');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Deletes everything in the namespace; returns resource → objects still present. */
  private async deleteContent(ns: string): Promise<Map<string, number>> {
    const remaining = new Map<string, number>();
    for (const r of await this.resources()) {
      const path = resourcePath(r, ns);
      try {
        const before = await this.client.request<{ items: KubeObject[] }>('GET', path);
        if (before.items.length === 0) continue;
        await this.client.request('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
        const after = await this.client.request<{ items: KubeObject[] }>('GET', path);
        if (after.items.length) remaining.set(r.group ? `${r.resource}.${r.group}` : r.resource, after.items.length);
      } catch (err) {
        if (isNotFound(err)) continue; // the resource went away from the server
        throw err;
      }
    }
    return remaining;
  }

  /** upstream NamespaceContentRemaining: tell `kubectl describe ns` what is still being deleted. */
  private async setCondition(ns: Namespace & KubeObject, remaining: Map<string, number>): Promise<void> {
    const message = `Some resources are remaining: ${[...remaining].map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}`;
    const cur = ns.status?.conditions?.find((c) => c.type === 'NamespaceContentRemaining');
    if (cur?.message === message) return;
    const cond: NamespaceCondition = { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message, lastTransitionTime: new Date().toISOString() };
    const conditions = [...(ns.status?.conditions ?? []).filter((c) => c.type !== cond.type), cond];
    await this.client.patch(R.namespaces, ns.metadata!.name!, undefined, { status: { conditions } }, 'merge', 'status').catch(() => {});
  }
}
