// Cluster DNS, run by `tskube server` as an add-on: answers <svc>.<ns>.svc.cluster.local from
// Services and EndpointSlices, behind the kube-dns Service at 10.96.0.10.
// (Placeholder: not started yet.)
import type { ApiClient } from '../client/api-client.js';

export interface ClusterDnsOptions { listenAddress: string; port?: number }

export async function startClusterDns(_client: ApiClient, _opts: ClusterDnsOptions): Promise<{ stop(): Promise<void> }> {
  return { async stop() {} };
}
