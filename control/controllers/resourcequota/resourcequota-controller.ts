// ResourceQuota controller (upstream resourcequota): keeps status.hard = spec.hard and
// status.used = what the namespace uses now — pod compute from the pod informer, object counts
// (count/<resource>, services, secrets, …) by listing. Pod changes recompute at once; counts of
// other objects are refreshed on a resync period.
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R, resourcePath } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { SharedInformers } from '../informers.js';
import { W } from '../util/resources.js';
import { type Controller } from '../util/run.js';
import { countedResource, formatUsage, podUsage } from './usage.js';

const RESYNC_MS = 15_000;

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota-controller';
  readonly queue = new WorkQueue(200, 30_000);
  private readonly rqInf;
  private readonly podInf;
  private timer?: NodeJS.Timeout;

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.rqInf = informers.for<ResourceQuota>(W.resourcequotas);
    this.podInf = informers.for<Pod>(R.pods);
    this.rqInf.onAdd((q) => this.queue.add(keyOf(q)));
    this.rqInf.onUpdate((o, q) => { if (JSON.stringify(o.spec) !== JSON.stringify(q.spec)) this.queue.add(keyOf(q)); });
    this.podInf.onChange((p) => this.enqueueNamespace(p.metadata?.namespace));
  }

  private enqueueNamespace(ns: string | undefined): void {
    for (const q of this.rqInf.list()) if (q.metadata?.namespace === ns) this.queue.add(keyOf(q));
  }

  enqueueAll(): void {
    const all = () => { for (const q of this.rqInf.list()) this.queue.add(keyOf(q)); };
    all();
    this.timer = setInterval(all, RESYNC_MS);
    this.timer.unref?.();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  async sync(key: string): Promise<void> {
    const q = this.rqInf.get(key);
    if (!q || q.metadata?.deletionTimestamp) return;
    const ns = q.metadata!.namespace!;
    const hard = q.spec?.hard ?? {};
    const pods = this.podInf.list().filter((p) => p.metadata?.namespace === ns);
    const used: Record<string, string> = {};
    for (const name of Object.keys(hard)) {
      const v = podUsage(name, pods) ?? await this.count(name, ns);
      if (v !== undefined) used[name] = formatUsage(name, v);
    }
    if (JSON.stringify(q.status?.hard ?? {}) === JSON.stringify(hard) && JSON.stringify(q.status?.used ?? {}) === JSON.stringify(used)) return;
    try {
      await this.client.request('PUT', resourcePath(W.resourcequotas, ns, q.metadata!.name!, 'status'),
        { ...q, apiVersion: 'v1', kind: 'ResourceQuota', status: { hard, used } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Objects of a counted resource in the namespace, or undefined if the server does not serve it. */
  private async count(name: string, ns: string): Promise<number | undefined> {
    const c = countedResource(name);
    if (!c) return undefined;
    const r = { group: c.group, version: 'v1', resource: c.resource, kind: '', namespaced: true };
    try {
      return (await this.client.request<{ items: KubeObject[] }>('GET', resourcePath(r, ns))).items.length;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
