// The in-memory model kube-proxy renders rules from: one entry per Service port, and the
// endpoints behind it. Built from API objects by service-model.ts (core/v1 Endpoints today,
// EndpointSlices later); consumed by the pure renderer in iptables/render.ts.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** One port of one Service, as upstream's ServicePortName + ServicePort info. */
export interface ServicePortInfo {
  namespace: string;
  name: string;
  portName: string; // '' for an unnamed single port
  protocol: Protocol;
  clusterIP: string;
  port: number;
  nodePort?: number; // kept for NodePort; not rendered yet
}

/** One backend of a Service port. Only ready endpoints receive traffic. */
export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  nodeName?: string;
}

/** Everything one sync renders: service ports, and endpoints keyed by servicePortKey(). */
export interface ProxyState {
  services: ServicePortInfo[];
  endpoints: Map<string, EndpointInfo[]>;
}

export interface ProxyConfig {
  clusterCIDR: string; // traffic from outside it is masqueraded
  nodeIp: string;
}

/** Upstream's ServicePortName.String(): "ns/name" or "ns/name:port". */
export function servicePortName(sp: Pick<ServicePortInfo, 'namespace' | 'name' | 'portName'>): string {
  return sp.portName ? `${sp.namespace}/${sp.name}:${sp.portName}` : `${sp.namespace}/${sp.name}`;
}

/** Key joining a service port to its endpoints: "ns/name:port/TCP". */
export function servicePortKey(sp: Pick<ServicePortInfo, 'namespace' | 'name' | 'portName' | 'protocol'>): string {
  return `${sp.namespace}/${sp.name}:${sp.portName}/${sp.protocol}`;
}
