// Endpoints controller: for every Service with a selector, an Endpoints object of the same name
// listing the matching pods' IPs (ready in addresses, others in notReadyAddresses) and the
// resolved target ports; removed when the Service goes. kube-proxy renders rules from these.
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf, splitKey } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { SharedInformers } from '../informers.js';
import { matchesMap } from '../../client/labels.js';
import { runControllerLoop, type Controller, type Running } from '../util/run.js';
import { canonicalJson } from '../deployment/template-hash.js';
import { computeSubsets } from './subsets.js';

type Svc = Service & KubeObject;

export class EndpointsController implements Controller {
  readonly name = 'endpoints-controller';
  readonly queue = new WorkQueue();
  private readonly svcInf;
  private readonly podInf;
  private readonly epInf;
  private readonly deleted = new Set<string>(); // services seen deleted, endpoints not yet removed

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.svcInf = informers.for<Service>(R.services);
    this.podInf = informers.for<Pod>(R.pods);
    this.epInf = informers.for<Endpoints>(R.endpoints);
    this.svcInf.onChange((s) => this.queue.add(keyOf(s)));
    this.svcInf.onDelete((s) => { this.deleted.add(keyOf(s)); this.queue.add(keyOf(s)); });
    this.podInf.onAdd((p) => this.podChanged(p));
    this.podInf.onUpdate((o, c) => { if (o.metadata?.resourceVersion !== c.metadata?.resourceVersion) { this.podChanged(o); this.podChanged(c); } });
    this.podInf.onDelete((p) => this.podChanged(p));
    // Someone else changed or removed a Service's Endpoints: reconcile that Service again.
    this.epInf.onChange((e) => { if (this.svcInf.get(keyOf(e))) this.queue.add(keyOf(e)); });
  }

  enqueueAll(): void { for (const s of this.svcInf.list()) this.queue.add(keyOf(s)); }

  /** Wake every Service in the pod's namespace whose selector matches its labels. */
  private podChanged(pod: Pod): void {
    for (const s of this.servicesFor(pod)) this.queue.add(keyOf(s));
  }

  private servicesFor(pod: Pod): Svc[] {
    return this.svcInf.list().filter((s) => s.metadata?.namespace === pod.metadata?.namespace &&
      s.spec?.selector && Object.keys(s.spec.selector).length > 0 && matchesMap(s.spec.selector, pod.metadata?.labels));
  }

  async sync(key: string): Promise<void> {
    const svc = this.svcInf.get(key);
    const { namespace, name } = splitKey(key);
    const cur = this.epInf.get(key);
    if (!svc) {
      // The Service was deleted: its Endpoints go too. (Endpoints without a Service that we did
      // not see go away are left alone: they may be user-made, created before their Service.)
      if (this.deleted.has(key)) await this.client.delete(R.endpoints, name, namespace).catch((e) => { if (!isNotFound(e)) throw e; });
      this.deleted.delete(key);
      return;
    }
    this.deleted.delete(key);
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0) return; // user-managed Endpoints
    const pods = this.podInf.list().filter((p) => p.metadata?.namespace === namespace && matchesMap(sel, p.metadata?.labels));
    const subsets = computeSubsets(svc, pods);
    const labels = { ...(svc.metadata?.labels ?? {}) };
    if (cur && canonicalJson(cur.subsets ?? []) === canonicalJson(subsets) &&
        canonicalJson(cur.metadata?.labels ?? {}) === canonicalJson(labels)) return;
    const ep: Endpoints & KubeObject = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name, namespace, labels, ...(cur?.metadata?.resourceVersion ? { resourceVersion: cur.metadata.resourceVersion } : {}) },
      subsets,
    };
    try {
      if (cur) await this.client.update(R.endpoints, ep);
      else await this.client.create(R.endpoints, ep);
    } catch (err) {
      // 409: our cache is behind (AlreadyExists or stale resourceVersion); the watch brings it up to date.
      if (isConflict(err)) { this.queue.addAfter(key, 100); return; }
      throw err;
    }
  }
}

export async function startEndpointsController(client: ApiClient, informers?: SharedInformers, workers = 2): Promise<Running> {
  const inf = informers ?? new SharedInformers(client);
  return runControllerLoop(new EndpointsController(client, inf), inf, !informers, workers);
}
