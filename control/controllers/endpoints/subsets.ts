// Pure Endpoints computation (upstream endpoints controller + RepackSubsets): which pods back a
// Service, on which ports, ready or not. Pods exposing the same port set share one subset.
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { isPodReady, isPodTerminal } from '../util/pods.js';

/**
 * The container port a service port targets on this pod: a number as is, a name looked up
 * among the pod's container ports (undefined if the pod has no such port), default = port.
 */
export function resolveTargetPort(sp: ServicePort, pod: Pod): number | undefined {
  const t = sp.targetPort ?? sp.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === t && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return p.containerPort;
  }
  return undefined;
}

/** Should this pod appear in endpoints at all (upstream ShouldPodBeInEndpoints, simplified)? */
export function podEligible(pod: Pod, svc: Service): boolean {
  if (!pod.status?.podIP || isPodTerminal(pod)) return false;
  if (pod.metadata?.deletionTimestamp && !svc.spec?.publishNotReadyAddresses) return false;
  return true;
}

function address(pod: Pod): EndpointAddress {
  const a: EndpointAddress = {
    ip: pod.status!.podIP!,
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  if (pod.spec?.hostname) a.hostname = pod.spec.hostname;
  return a;
}

/** Endpoints subsets for a Service and the pods its selector matched (already filtered by selector). */
export function computeSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const svcPorts = svc.spec?.ports ?? [];
  for (const pod of pods) {
    if (!podEligible(pod, svc)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svcPorts) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue; // named port this pod does not expose
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    if (svcPorts.length > 0 && ports.length === 0) continue;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (isPodReady(pod) || svc.spec?.publishNotReadyAddresses ? g.ready : g.notReady).push(address(pod));
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => ipKey(a.ip) - ipKey(b.ip) || a.ip.localeCompare(b.ip);
  const subsets: EndpointSubset[] = [];
  for (const g of [...groups.values()].sort((a, b) => JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports)))) {
    const s: EndpointSubset = {};
    if (g.ready.length) s.addresses = g.ready.sort(byIp);
    if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIp);
    if (g.ports.length) s.ports = g.ports;
    subsets.push(s);
  }
  return subsets;
}

function ipKey(ip: string): number {
  const p = ip.split('.');
  return p.length === 4 ? p.reduce((n, x) => n * 256 + Number(x), 0) : 0;
}
