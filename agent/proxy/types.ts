// The in-memory model kube-proxy renders rules from: per Service ("ns/name"), its ports and the
// endpoints behind each port. Built from Services + EndpointSlices by service-model.ts and kept
// up to date one Service at a time; consumed by the pure renderer in iptables/render.ts.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** One port of one Service, as upstream's ServicePortName + ServicePort info. */
export interface ServicePortInfo {
  namespace: string;
  name: string;
  portName: string; // '' for an unnamed single port
  protocol: Protocol;
  clusterIP: string;
  port: number;
  nodePort?: number; // NodePort / LoadBalancer Services
  /** sessionAffinity ClientIP: seconds a client sticks to its endpoint (upstream default 10800). */
  affinitySeconds?: number;
}

/** One backend of a Service port, with its EndpointSlice conditions. */
export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving?: boolean; // undefined = same as ready
  terminating?: boolean;
  nodeName?: string;
}

/** Everything known about one Service: its proxied ports and each port's endpoints. */
export interface ServiceEntry {
  ports: ServicePortInfo[];
  /** Keyed by servicePortKey(). */
  endpoints: Map<string, EndpointInfo[]>;
}

/** The whole model: Services by "ns/name". */
export interface ProxyState {
  services: Map<string, ServiceEntry>;
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

/** A model from a flat list of service ports and their endpoints (tests, benchmarks). */
export function stateOf(ports: ServicePortInfo[], endpoints: Map<string, EndpointInfo[]>): ProxyState {
  const services = new Map<string, ServiceEntry>();
  for (const sp of ports) {
    const key = `${sp.namespace}/${sp.name}`;
    let e = services.get(key);
    if (!e) services.set(key, (e = { ports: [], endpoints: new Map() }));
    e.ports.push(sp);
    const k = servicePortKey(sp);
    e.endpoints.set(k, endpoints.get(k) ?? []);
  }
  return { services };
}
