// The kube-dns Service in kube-system (10.96.0.10, dns 53/UDP + dns-tcp 53/TCP, no selector)
// and its Endpoints and EndpointSlice pointing at this DNS server, kept as the API server keeps
// the `kubernetes` Service: created when absent, corrected when they drift.
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../client/api-client.js';
import { R } from '../client/resources.js';
import { ENDPOINT_SLICES } from '../controllers/endpointslice/endpointslice-controller.js';

export const KUBE_DNS_IP = '10.96.0.10';
const NS = 'kube-system', NAME = 'kube-dns', SLICE = 'kube-dns-tskube';
const LABELS = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };

export function kubeDnsService(): Service & KubeObject {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: NAME, namespace: NS, labels: LABELS },
    spec: {
      clusterIP: KUBE_DNS_IP, type: 'ClusterIP',
      ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }],
    },
  };
}

export function kubeDnsEndpoints(ip: string, port: number): Endpoints & KubeObject {
  return {
    apiVersion: 'v1', kind: 'Endpoints',
    // skip-mirror: this slice is written here, not by the mirroring controller.
    metadata: { name: NAME, namespace: NS, labels: { ...LABELS, 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip }], ports: [{ name: 'dns', port, protocol: 'UDP' }, { name: 'dns-tcp', port, protocol: 'TCP' }] }],
  };
}

export function kubeDnsSlice(ip: string, port: number): EndpointSlice & KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: SLICE, namespace: NS, labels: { ...LABELS, 'kubernetes.io/service-name': NAME, 'endpointslice.kubernetes.io/managed-by': 'tskube-dns' } },
    addressType: 'IPv4',
    ports: [{ name: 'dns', port, protocol: 'UDP' }, { name: 'dns-tcp', port, protocol: 'TCP' }],
    endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } }],
  };
}

/** Creates or corrects one object: GET, then POST if absent or PUT if its content differs. */
async function ensure<T extends KubeObject>(client: ApiClient, r: typeof R.services, want: T, same: (cur: T) => boolean): Promise<void> {
  const name = want.metadata!.name!, ns = want.metadata!.namespace!;
  let cur: T | undefined;
  try { cur = await client.get<T>(r, name, ns); } catch (err) { if (!isNotFound(err)) throw err; }
  if (!cur) { await client.create(r, want, ns).catch((e) => { if (!isConflict(e)) throw e; }); return; }
  if (same(cur)) return;
  await client.update(r, { ...cur, ...want, metadata: { ...cur.metadata, labels: want.metadata!.labels } } as T);
}

/** Ensures the Service, Endpoints and EndpointSlice; the Service keeps its user-made extras. */
export async function ensureKubeDns(client: ApiClient, ip: string, port: number): Promise<void> {
  const svc = kubeDnsService();
  await ensure(client, R.services, svc, (cur) => cur.spec?.clusterIP === KUBE_DNS_IP &&
    JSON.stringify((cur.spec?.ports ?? []).map((p) => [p.name, p.port, p.protocol])) === JSON.stringify(svc.spec!.ports!.map((p) => [p.name, p.port, p.protocol])));
  const ep = kubeDnsEndpoints(ip, port);
  await ensure(client, R.endpoints, ep, (cur) => JSON.stringify(cur.subsets) === JSON.stringify(ep.subsets) && cur.metadata?.labels?.['endpointslice.kubernetes.io/skip-mirror'] === 'true');
  const slice = kubeDnsSlice(ip, port);
  await ensure(client, ENDPOINT_SLICES, slice, (cur) => JSON.stringify(cur.endpoints) === JSON.stringify(slice.endpoints) && JSON.stringify(cur.ports) === JSON.stringify(slice.ports));
}
