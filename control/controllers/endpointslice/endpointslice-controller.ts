// EndpointSlice controller: for every Service with a selector, discovery.k8s.io/v1 EndpointSlices
// (label kubernetes.io/service-name, ≤100 endpoints each, conditions ready/serving/terminating)
// from the matching pods; for Services without a selector, slices mirrored from their Endpoints
// (upstream's mirroring controller). kube-proxy and cluster DNS read these.
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf, splitKey } from '../../client/informer.js';
import { matchesMap } from '../../client/labels.js';
import { logger } from '../../client/log.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { SharedInformers } from '../informers.js';
import { newControllerRef } from '../util/owners.js';
import { runControllerLoop, type Controller, type Running } from '../util/run.js';
import {
  CONTROLLER_NAME, MANAGED_BY_LABEL, MIRROR_CONTROLLER_NAME, SERVICE_NAME_LABEL,
  desiredGroups, planSlices, type PortGroup,
} from './slices.js';

export const ENDPOINT_SLICES = R.endpointslices;
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';

type Svc = Service & KubeObject;
type Slice = EndpointSlice & KubeObject;

/** Endpoints subsets → port groups (mirroring): addresses ready, notReadyAddresses not. */
export function mirrorGroups(ep: Endpoints): PortGroup[] {
  return (ep.subsets ?? []).map((s) => ({
    ports: (s.ports ?? []).map((p): EndpointPort => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: [
      ...(s.addresses ?? []).map((a) => ({ a, ready: true })),
      ...(s.notReadyAddresses ?? []).map((a) => ({ a, ready: false })),
    ].map(({ a, ready }) => ({
      addresses: [a.ip],
      conditions: { ready, serving: ready, terminating: false },
      ...(a.nodeName ? { nodeName: a.nodeName } : {}),
      ...(a.hostname ? { hostname: a.hostname } : {}),
      ...(a.targetRef ? { targetRef: a.targetRef } : {}),
    })),
  }));
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  readonly queue = new WorkQueue();
  private readonly svcInf;
  private readonly podInf;
  private readonly sliceInf;
  private readonly epInf;
  private readonly log = logger('endpointslice-controller');
  /** Our own writes not yet seen in the cache: service key → slice name → resourceVersion (or 'deleted'). */
  private readonly written = new Map<string, Map<string, { rv: string; at: number }>>();

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.svcInf = informers.for<Service>(R.services);
    this.podInf = informers.for<Pod>(R.pods);
    this.sliceInf = informers.for<EndpointSlice>(ENDPOINT_SLICES);
    this.epInf = informers.for<Endpoints>(R.endpoints);
    this.svcInf.onChange((s) => this.queue.add(keyOf(s)));
    this.podInf.onAdd((p) => this.podChanged(p));
    this.podInf.onUpdate((o, c) => { if (o.metadata?.resourceVersion !== c.metadata?.resourceVersion) { this.podChanged(o); this.podChanged(c); } });
    this.podInf.onDelete((p) => this.podChanged(p));
    // A slice changed under us (or its Service's Endpoints, for mirrored ones): look again.
    this.sliceInf.onChange((s) => { const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL]; if (svc) this.queue.add(`${s.metadata?.namespace}/${svc}`); });
    this.epInf.onChange((e) => this.queue.add(keyOf(e)));
  }

  enqueueAll(): void { for (const s of this.svcInf.list()) this.queue.add(keyOf(s)); }

  private podChanged(pod: Pod): void {
    for (const s of this.svcInf.list()) {
      const sel = s.spec?.selector;
      if (s.metadata?.namespace === pod.metadata?.namespace && sel && Object.keys(sel).length && matchesMap(sel, pod.metadata?.labels)) this.queue.add(keyOf(s));
    }
  }

  private slicesOf(namespace: string, name: string, managedBy?: string): Slice[] {
    return this.sliceInf.list().filter((s) => s.metadata?.namespace === namespace && s.metadata?.labels?.[SERVICE_NAME_LABEL] === name &&
      (managedBy === undefined || s.metadata?.labels?.[MANAGED_BY_LABEL] === managedBy));
  }

  async sync(key: string): Promise<void> {
    const { namespace = 'default', name } = splitKey(key);
    if (this.cacheBehind(key)) { this.queue.addAfter(key, 50); return; } // never act on a cache older than our writes
    const svc = this.svcInf.get(key);
    const mine = [...this.slicesOf(namespace, name, CONTROLLER_NAME), ...this.slicesOf(namespace, name, MIRROR_CONTROLLER_NAME)];
    if (!svc || svc.spec?.type === 'ExternalName') {
      // Service gone: its slices go (the garbage collector would too, through ownerReferences).
      for (const s of mine) await this.remove(s);
      return;
    }
    const sel = svc.spec?.selector;
    let groups: PortGroup[];
    let managedBy: string;
    if (sel && Object.keys(sel).length) {
      managedBy = CONTROLLER_NAME;
      const pods = this.podInf.list().filter((p) => p.metadata?.namespace === namespace && matchesMap(sel, p.metadata?.labels));
      groups = desiredGroups(svc, pods);
    } else {
      managedBy = MIRROR_CONTROLLER_NAME;
      const ep = this.epInf.get(key);
      const others = this.slicesOf(namespace, name).filter((s) => !mine.includes(s));
      // skip-mirror: someone (the API server, cluster DNS) writes this Service's slice itself.
      if (!ep || (ep.metadata?.labels?.[SKIP_MIRROR_LABEL] === 'true' && others.length > 0)) {
        for (const s of mine) await this.remove(s);
        return;
      }
      groups = mirrorGroups(ep).filter((g) => g.endpoints.length > 0);
    }
    // Slices the other manager made (selector added or removed) are no longer ours to keep.
    for (const s of mine) if (s.metadata?.labels?.[MANAGED_BY_LABEL] !== managedBy) await this.remove(s);
    const existing = mine.filter((s) => s.metadata?.labels?.[MANAGED_BY_LABEL] === managedBy);
    const labels = { ...(svc.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: managedBy };
    const template = (ports: EndpointPort[]): Slice => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { generateName: `${name}-`, namespace, labels, ownerReferences: [newControllerRef(svc, 'v1', 'Service')] },
      addressType: 'IPv4', ports, endpoints: [],
    });
    const plan = planSlices(groups, existing, template);
    // Labels follow the Service's own (e.g. after `kubectl label svc`).
    for (const s of existing) {
      if (!plan.update.some((u) => u.metadata?.name === s.metadata?.name) && !plan.remove.includes(s.metadata!.name!) &&
          JSON.stringify(s.metadata?.labels ?? {}) !== JSON.stringify(labels)) plan.update.push(s);
    }
    const note = (s: Slice) => this.note(key, s.metadata!.name!, s.metadata!.resourceVersion!);
    try {
      for (const s of plan.update) note(await this.client.update(ENDPOINT_SLICES, { ...s, metadata: { ...s.metadata, labels } } as Slice));
      for (const s of plan.create) note(await this.client.create(ENDPOINT_SLICES, s as Slice, namespace));
      for (const n of plan.remove) await this.remove(existing.find((s) => s.metadata?.name === n)!);
    } catch (err) {
      // 409: our cache is behind; the watch catches up and we try again shortly.
      if (isConflict(err)) { this.queue.addAfter(key, 100); return; }
      throw err;
    }
    if (plan.create.length + plan.update.length + plan.remove.length) {
      this.log.debug({ service: key, create: plan.create.length, update: plan.update.length, remove: plan.remove.length }, 'endpoint slices written');
    }
  }

  private async remove(s: Slice): Promise<void> {
    await this.client.delete(ENDPOINT_SLICES, s.metadata!.name!, s.metadata!.namespace).catch((e) => { if (!isNotFound(e)) throw e; });
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (svc) this.note(`${s.metadata!.namespace}/${svc}`, s.metadata!.name!, 'deleted');
  }

  private note(key: string, name: string, rv: string): void {
    if (!this.written.has(key)) this.written.set(key, new Map());
    this.written.get(key)!.set(name, { rv, at: Date.now() });
  }

  /** True while the slice cache lacks one of our writes for this Service (upstream's slice tracker). */
  private cacheBehind(key: string): boolean {
    const w = this.written.get(key);
    if (!w) return false;
    const { namespace } = splitKey(key);
    for (const [name, { rv, at }] of w) {
      const cur = this.sliceInf.get(`${namespace}/${name}`);
      const seen = rv === 'deleted' ? !cur : !!cur && Number(cur.metadata?.resourceVersion) >= Number(rv);
      if (seen || Date.now() - at > 5000) w.delete(name); // a later write by someone else: stop waiting
    }
    if (w.size === 0) { this.written.delete(key); return false; }
    return true;
  }
}

/** Starts the controller; pass the controller manager's SharedInformers to share its caches. */
export async function startEndpointSliceController(client: ApiClient, informers?: SharedInformers, workers = 2): Promise<Running> {
  const inf = informers ?? new SharedInformers(client);
  return runControllerLoop(new EndpointSliceController(client, inf), inf, !informers, workers);
}
