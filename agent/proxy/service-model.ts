// Builds kube-proxy's model (types.ts) from API objects: Services and core/v1 Endpoints.
// This is the only file that knows the endpoint source; an EndpointSlice version replaces
// endpointsFor() and keeps the same output.
import type { Endpoints, EndpointSubset, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { servicePortKey, type EndpointInfo, type Protocol, type ProxyState, type ServicePortInfo } from './types.js';

/** Service ports kube-proxy handles: not headless, not ExternalName, with a cluster IP. */
export function servicePortsOf(svc: Service): ServicePortInfo[] {
  const spec = svc.spec;
  const ip = spec?.clusterIP;
  if (!spec || spec.type === 'ExternalName' || !ip || ip === 'None') return [];
  if (ip.includes(':')) return []; // IPv6 is not handled yet
  return (spec.ports ?? []).map((p) => ({
    namespace: svc.metadata?.namespace ?? 'default',
    name: svc.metadata?.name ?? '',
    portName: p.name ?? '',
    protocol: (p.protocol ?? 'TCP') as Protocol,
    clusterIP: ip,
    port: p.port,
    nodePort: p.nodePort,
  }));
}

/**
 * The endpoint port of one subset serving a service port. The endpoints controller names
 * endpoint ports after the service port (and resolves named targetPorts per pod), so the
 * name decides; a named targetPort and a lone unnamed port are fallbacks.
 */
function subsetPort(subset: EndpointSubset, sp: ServicePort, onlyPort: boolean): number | undefined {
  const proto = sp.protocol ?? 'TCP';
  const ports = (subset.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === proto);
  const byName = ports.find((p) => (p.name ?? '') === (sp.name ?? ''));
  if (byName) return byName.port;
  if (typeof sp.targetPort === 'string') {
    const byTarget = ports.find((p) => p.name === sp.targetPort);
    if (byTarget) return byTarget.port;
  }
  if (onlyPort && ports.length === 1) return ports[0].port;
  return undefined;
}

/** Endpoints of each port of svc, keyed by servicePortKey(), sorted and de-duplicated. */
export function endpointsFor(svc: Service, ep: Endpoints | undefined): Map<string, EndpointInfo[]> {
  const out = new Map<string, EndpointInfo[]>();
  const specPorts = svc.spec?.ports ?? [];
  for (const sp of specPorts) {
    const list: EndpointInfo[] = [];
    const seen = new Set<string>();
    for (const subset of ep?.subsets ?? []) {
      const port = subsetPort(subset, sp, specPorts.length === 1);
      if (port === undefined) continue;
      const add = (ready: boolean) => (a: { ip: string; nodeName?: string }) => {
        const id = `${a.ip}:${port}`;
        if (seen.has(id)) return;
        seen.add(id);
        list.push({ ip: a.ip, port, ready, nodeName: a.nodeName });
      };
      (subset.addresses ?? []).forEach(add(true));
      (subset.notReadyAddresses ?? []).forEach(add(false));
    }
    list.sort((a, b) => compareIp(a.ip, b.ip) || a.port - b.port);
    const key = servicePortKey({
      namespace: svc.metadata?.namespace ?? 'default', name: svc.metadata?.name ?? '',
      portName: sp.name ?? '', protocol: (sp.protocol ?? 'TCP') as Protocol,
    });
    out.set(key, list);
  }
  return out;
}

/** The whole model from informer caches. getEndpoints looks up "ns/name". */
export function buildProxyState(services: Service[], getEndpoints: (key: string) => Endpoints | undefined): ProxyState {
  const state: ProxyState = { services: [], endpoints: new Map() };
  for (const svc of services) {
    const ports = servicePortsOf(svc);
    if (ports.length === 0) continue;
    state.services.push(...ports);
    const key = `${svc.metadata?.namespace ?? 'default'}/${svc.metadata?.name}`;
    for (const [k, v] of endpointsFor(svc, getEndpoints(key))) state.endpoints.set(k, v);
  }
  state.services.sort((a, b) => (a.namespace + '/' + a.name + ':' + a.portName).localeCompare(b.namespace + '/' + b.name + ':' + b.portName));
  return state;
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a < b ? -1 : a > b ? 1 : 0;
}
