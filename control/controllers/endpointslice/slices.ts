// Pure EndpointSlice computation (upstream endpointslice reconciler, simplified): the endpoints a
// Service's pods give, grouped by port set, placed into slices of at most 100 endpoints while
// keeping each endpoint in the slice it already sits in, so a change rewrites as few slices as possible.
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { resolveTargetPort } from '../endpoints/subsets.js';
import { isPodReady, isPodTerminal } from '../util/pods.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MIRROR_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** Endpoints with the same ports, as upstream groups them (one slice family per port set). */
export interface PortGroup { ports: EndpointPort[]; endpoints: Endpoint[] }

const portsKey = (ports: EndpointPort[]): string =>
  JSON.stringify(ports.map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port, p.appProtocol ?? '']));

/** The endpoint for one pod (upstream podToEndpoint): conditions, nodeName, targetRef, hostname. */
export function podEndpoint(pod: Pod, svc: Service): Endpoint {
  const terminating = !!pod.metadata?.deletionTimestamp;
  const serving = isPodReady(pod) || !!svc.spec?.publishNotReadyAddresses;
  const ep: Endpoint = {
    addresses: [pod.status!.podIP!],
    conditions: { ready: serving && !terminating, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (svc.spec?.publishNotReadyAddresses) ep.conditions!.ready = true;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  // A hostname only for pods that asked to be <hostname>.<this service> (subdomain = service name).
  if (pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name) ep.hostname = pod.spec.hostname;
  return ep;
}

/** Desired endpoints of a Service from the pods its selector matched, grouped by port set. */
export function desiredGroups(svc: Service, pods: Pod[]): PortGroup[] {
  const groups = new Map<string, PortGroup>();
  const svcPorts = svc.spec?.ports ?? [];
  for (const pod of pods) {
    if (!pod.status?.podIP || isPodTerminal(pod)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svcPorts) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue; // a named port this pod does not expose
      const p: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    if (svcPorts.length > 0 && ports.length === 0) continue;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || (a.port ?? 0) - (b.port ?? 0));
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(podEndpoint(pod, svc));
  }
  for (const g of groups.values()) g.endpoints.sort((a, b) => ipKey(a.addresses[0]) - ipKey(b.addresses[0]));
  return [...groups.values()];
}

/** What to write: slices to create (no name yet), slices to update (named), names to delete. */
export interface SlicePlan { create: EndpointSlice[]; update: EndpointSlice[]; remove: string[] }

const epKey = (e: Endpoint): string => e.addresses[0] ?? '';
const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Places desired endpoints into existing slices (same port set, same address kept in place),
 * then fills free room, then opens new slices; slices left empty are deleted. `template`
 * gives metadata (labels, ownerReferences, generateName) for new slices.
 */
export function planSlices(groups: PortGroup[], existing: EndpointSlice[], template: (ports: EndpointPort[]) => EndpointSlice, max = MAX_ENDPOINTS_PER_SLICE): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], remove: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    const k = portsKey(s.ports ?? []);
    if (!byPorts.has(k)) byPorts.set(k, []);
    byPorts.get(k)!.push(s);
  }
  const wanted = new Set(groups.map((g) => portsKey(g.ports)));
  for (const [k, slices] of byPorts) if (!wanted.has(k)) plan.remove.push(...slices.map((s) => s.metadata!.name!));

  for (const g of groups) {
    const slices = (byPorts.get(portsKey(g.ports)) ?? []).slice().sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const home = new Map<string, number>(); // address → index of the slice holding it now
    slices.forEach((s, i) => (s.endpoints ?? []).forEach((e) => { if (!home.has(epKey(e))) home.set(epKey(e), i); }));
    const next: Endpoint[][] = slices.map(() => []);
    const homeless: Endpoint[] = [];
    for (const e of g.endpoints) {
      const i = home.get(epKey(e));
      if (i !== undefined && next[i].length < max) next[i].push(e);
      else homeless.push(e);
    }
    for (let i = 0; i < next.length && homeless.length; i++) {
      while (next[i].length < max && homeless.length) next[i].push(homeless.shift()!);
    }
    slices.forEach((s, i) => {
      if (next[i].length === 0) { plan.remove.push(s.metadata!.name!); return; }
      const sorted = next[i].sort((a, b) => ipKey(a.addresses[0]) - ipKey(b.addresses[0]));
      if (!sameJson(s.endpoints ?? [], sorted) || !sameJson(s.ports ?? [], g.ports)) plan.update.push({ ...s, ports: g.ports, endpoints: sorted });
    });
    while (homeless.length) plan.create.push({ ...template(g.ports), endpoints: homeless.splice(0, max) });
  }
  // A Service with no endpoints at all keeps one empty slice (upstream does, so watchers see the ports).
  if (groups.length === 0) {
    const keep = existing.find((s) => (s.endpoints ?? []).length === 0) ?? existing[0];
    if (keep) {
      plan.remove = plan.remove.filter((n) => n !== keep.metadata!.name);
      if ((keep.endpoints ?? []).length) plan.update.push({ ...keep, endpoints: [] });
    } else {
      plan.create.push({ ...template([]), endpoints: [] });
    }
  }
  return plan;
}

export function ipKey(ip: string | undefined): number {
  const p = (ip ?? '').split('.');
  return p.length === 4 ? p.reduce((n, x) => n * 256 + Number(x), 0) : 0;
}
