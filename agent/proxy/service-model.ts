// Builds kube-proxy's model (types.ts) from API objects: a Service and the EndpointSlices
// labelled kubernetes.io/service-name with its name. This is the only file that knows the
// endpoint source; the proxy rebuilds one Service's entry whenever it or its slices change.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { servicePortKey, type EndpointInfo, type Protocol, type ServiceEntry, type ServicePortInfo } from './types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const DEFAULT_AFFINITY_SECONDS = 10800; // upstream's DefaultClientIPServiceAffinitySeconds

/** Service ports kube-proxy handles: not headless, not ExternalName, with an IPv4 cluster IP. */
export function servicePortsOf(svc: Service): ServicePortInfo[] {
  const spec = svc.spec;
  const ip = spec?.clusterIP;
  if (!spec || spec.type === 'ExternalName' || !ip || ip === 'None') return [];
  if (ip.includes(':')) return []; // IPv6 is not handled yet
  const nodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const affinity = spec.sessionAffinity === 'ClientIP'
    ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS : undefined;
  return (spec.ports ?? []).map((p) => ({
    namespace: svc.metadata?.namespace ?? 'default',
    name: svc.metadata?.name ?? '',
    portName: p.name ?? '',
    protocol: (p.protocol ?? 'TCP') as Protocol,
    clusterIP: ip,
    port: p.port,
    ...(nodePorts && p.nodePort ? { nodePort: p.nodePort } : {}),
    ...(affinity !== undefined ? { affinitySeconds: affinity } : {}),
  }));
}

/**
 * Endpoints of each port of svc from its slices, keyed by servicePortKey(), sorted and
 * de-duplicated. A slice port serves a service port when name and protocol match (the
 * EndpointSlice controller names slice ports after service ports and resolves named targetPorts).
 */
export function endpointsFromSlices(ports: ServicePortInfo[], slices: Iterable<EndpointSlice>): Map<string, EndpointInfo[]> {
  const out = new Map<string, EndpointInfo[]>();
  const seen = new Map<string, Set<string>>();
  for (const sp of ports) { out.set(servicePortKey(sp), []); seen.set(servicePortKey(sp), new Set()); }
  for (const slice of slices) {
    if (slice.addressType && slice.addressType !== 'IPv4') continue;
    for (const p of slice.ports ?? []) {
      const sp = ports.find((s) => s.portName === (p.name ?? '') && s.protocol === (p.protocol ?? 'TCP'));
      if (!sp || !p.port) continue;
      const key = servicePortKey(sp);
      const list = out.get(key)!, ids = seen.get(key)!;
      for (const e of slice.endpoints ?? []) {
        const ip = e.addresses?.[0];
        if (!ip || ids.has(ip)) continue;
        ids.add(ip);
        const c = e.conditions ?? {};
        const ready = c.ready !== false; // unset means ready, as upstream reads it
        list.push({
          ip, port: p.port, ready,
          serving: c.serving ?? ready,
          terminating: c.terminating ?? false,
          ...(e.nodeName ? { nodeName: e.nodeName } : {}),
        });
      }
    }
  }
  for (const list of out.values()) list.sort((a, b) => compareIp(a.ip, b.ip) || a.port - b.port);
  return out;
}

/** One Service's entry, or undefined when the proxy has nothing to do for it. */
export function serviceEntry(svc: Service | undefined, slices: Iterable<EndpointSlice>): ServiceEntry | undefined {
  if (!svc) return undefined;
  const ports = servicePortsOf(svc);
  if (ports.length === 0) return undefined;
  return { ports, endpoints: endpointsFromSlices(ports, slices) };
}

/** The endpoints that receive traffic: the ready ones, else serving-and-terminating ones (upstream). */
export function usableEndpoints(all: EndpointInfo[]): EndpointInfo[] {
  const ready = all.filter((e) => e.ready);
  if (ready.length) return ready;
  return all.filter((e) => e.terminating && (e.serving ?? e.ready));
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a < b ? -1 : a > b ? 1 : 0;
}
