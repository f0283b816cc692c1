// Cluster DNS, run by `tskube server` as an add-on (CoreDNS' role): answers
// <svc>.<ns>.svc.cluster.local and friends (records.ts) over UDP and TCP from Services and
// EndpointSlices followed through informers, and keeps the kube-dns Service (10.96.0.10) and its
// endpoints pointing at this server. Never forwards: names outside the zone get NXDOMAIN at once.
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiClient, KubeObject } from '../client/api-client.js';
import { Informer, keyOf } from '../client/informer.js';
import { logger } from '../client/log.js';
import { R } from '../client/resources.js';
import { ENDPOINT_SLICES } from '../controllers/endpointslice/endpointslice-controller.js';
import { ensureKubeDns } from './kube-dns.js';
import { resolve, type DnsData } from './records.js';
import { startDnsServer } from './server.js';

export interface ClusterDnsOptions {
  listenAddress: string;
  port?: number; // default 53; 0 picks a free one (tests)
  zone?: string; // default cluster.local
  /** Keep the kube-dns Service and endpoints (default true). */
  manageService?: boolean;
}

export interface ClusterDns { stop(): Promise<void>; port: number }

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export async function startClusterDns(client: ApiClient, opts: ClusterDnsOptions): Promise<ClusterDns> {
  const log = logger('cluster-dns', { listen: `${opts.listenAddress}:${opts.port ?? 53}` });
  const zone = opts.zone ?? 'cluster.local';
  const services = new Informer<Service & KubeObject>(client, R.services);
  const slices = new Informer<EndpointSlice & KubeObject>(client, ENDPOINT_SLICES);
  const namespaces = new Informer<Namespace & KubeObject>(client, R.namespaces);
  const bySvc = new Map<string, Set<string>>(); // "ns/svc" → slice keys
  const sliceSvc = (s: EndpointSlice & KubeObject) => {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    return svc ? `${s.metadata?.namespace}/${svc}` : undefined;
  };
  const index = (s: EndpointSlice & KubeObject, add: boolean) => {
    const k = sliceSvc(s);
    if (!k) return;
    let set = bySvc.get(k);
    if (add) { if (!set) bySvc.set(k, (set = new Set())); set.add(keyOf(s)); } else set?.delete(keyOf(s));
  };
  slices.onAdd((s) => index(s, true)).onUpdate((o, s) => { index(o, false); index(s, true); }).onDelete((s) => index(s, false));

  const data: DnsData = {
    service: (ns, name) => services.get(`${ns}/${name}`),
    slices: (ns, name) => [...(bySvc.get(`${ns}/${name}`) ?? [])].map((k) => slices.get(k)).filter((s): s is EndpointSlice & KubeObject => !!s),
    services: () => services.list(),
    namespaceExists: (ns) => !namespaces.hasSynced() || !!namespaces.get(ns),
  };

  let server;
  try {
    server = await startDnsServer(opts.listenAddress, opts.port ?? 53, (q) => resolve(q, data, zone), log);
  } catch (err) {
    // Another DNS server holds the port (e.g. a second test server on 127.0.0.1): run without DNS.
    log.warn({ err: (err as Error).message }, 'cluster DNS not started');
    return { port: 0, async stop() {} };
  }
  await Promise.all([services.start(), slices.start(), namespaces.start()]);
  log.info({ port: server.port, zone, services: services.list().length }, 'cluster DNS serving');

  // kube-dns Service + endpoints: now, whenever someone touches them, and on a timer.
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const reensure = () => {
    if (opts.manageService === false || running) return;
    running = ensureKubeDns(client, opts.listenAddress, server.port)
      .catch((err: Error) => log.warn({ err: err.message }, 'could not ensure the kube-dns Service'))
      .finally(() => { running = undefined; });
  };
  const isKubeDns = (o: KubeObject) => o.metadata?.namespace === 'kube-system' && (o.metadata?.name === 'kube-dns' || o.metadata?.labels?.[SERVICE_NAME_LABEL] === 'kube-dns');
  services.onUpdate((_, s) => { if (isKubeDns(s)) reensure(); }).onDelete((s) => { if (isKubeDns(s)) reensure(); });
  slices.onDelete((s) => { if (isKubeDns(s)) reensure(); });
  reensure();
  await running;
  timer = setInterval(reensure, 30_000);
  timer.unref();

  return {
    port: server.port,
    async stop() {
      if (timer) clearInterval(timer);
      services.stop(); slices.stop(); namespaces.stop();
      await server.close();
    },
  };
}
