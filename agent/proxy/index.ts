// kube-proxy (iptables mode): informers on Services and EndpointSlices mark Services dirty and
// feed one key into a work queue; every burst of changes becomes one syncProxyRules() of just
// those Services at most every minSyncIntervalMs, plus a full resync on a timer that repairs
// rules someone else removed. /healthz and /metrics are served on loopback as upstream's are.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiClient, KubeObject } from '../../control/client/api-client.js';
import { Informer, keyOf, stripManagedFields } from '../../control/client/informer.js';
import { logger } from '../../control/client/log.js';
import { R } from '../../control/client/resources.js';
import { runController, WorkQueue } from '../../control/client/workqueue.js';
import { ensureSysctl } from '../network/ip.js';
import { isHealthy, startProxyServer, type ProxyHealth } from './healthz.js';
import { Iptables } from './iptables/exec.js';
import { Proxier } from './iptables/proxier.js';
import { backendFor, detectBackend } from './iptables/wrapper.js';
import { lastQueuedTimestamp } from './metrics.js';
import { SERVICE_NAME_LABEL, serviceEntry } from './service-model.js';
import type { ProxyState } from './types.js';

export { Proxier } from './iptables/proxier.js';
export { renderRules } from './iptables/render.js';

export const ENDPOINT_SLICES = R.endpointslices;

export interface KubeProxyOptions {
  nodeName: string;
  nodeIp: string;
  clusterCIDR?: string; // default 10.244.0.0/16
  minSyncIntervalMs?: number; // default 100
  syncPeriodMs?: number; // full resync; default 30 s (stretched to 10× the last full sync's cost)
  commandPrefix?: string[]; // e.g. ['ip', 'netns', 'exec', 'x'] for tests
  healthzAddress?: string; // host:port, default 127.0.0.1:10256; '' disables
  metricsAddress?: string; // host:port, default 127.0.0.1:10249; '' disables
}

export interface KubeProxy {
  stop(): Promise<void>;
  /** Removes all of kube-proxy's rules (stop() leaves them in place, as upstream). */
  cleanupRules(): Promise<void>;
  /** Resolves after the next successful sync (tests use it). */
  synced(): Promise<void>;
  health(): ProxyHealth;
  /** Ports the /healthz and /metrics servers listen on (tests pass port 0). */
  ports: number[];
}

const KEY = 'sync';

/** Removes kube-proxy's rules from both backends without an API server (`agent --cleanup`, lab down). */
export async function cleanupProxyRules(commandPrefix: string[] = []): Promise<void> {
  for (const mode of ['nft', 'legacy'] as const) {
    const proxier = new Proxier(new Iptables(backendFor(mode), commandPrefix), { clusterCIDR: '', nodeIp: '' }, () => ({ services: new Map() }));
    await proxier.cleanupRules().catch(() => undefined); // a backend that is not installed
  }
}

export async function startKubeProxy(client: ApiClient, opts: KubeProxyOptions): Promise<KubeProxy> {
  const log = logger('kube-proxy', { node: opts.nodeName });
  const minInterval = opts.minSyncIntervalMs ?? 100;
  const syncPeriod = opts.syncPeriodMs ?? 30_000;
  const backend = await detectBackend(opts.commandPrefix);
  log.info({ backend: backend.mode, restore: backend.restore }, 'iptables backend selected');
  const ipt = new Iptables(backend, opts.commandPrefix);
  // Tell later detections (ours, a real kube-proxy's) which backend this node uses, as the kubelet does.
  await ipt.ensureChain('mangle', 'KUBE-IPTABLES-HINT');
  // NodePorts on 127.0.0.1 need martian loopback sources routed (upstream sets the same).
  if (!(await ensureSysctl('net.ipv4.conf.all.route_localnet', '1', opts.commandPrefix))) log.warn('could not set route_localnet: NodePorts on 127.0.0.1 will not answer');

  const services = new Informer<Service & KubeObject>(client, R.services, { transform: stripManagedFields });
  const slices = new Informer<EndpointSlice & KubeObject>(client, ENDPOINT_SLICES, { transform: stripManagedFields });
  const slicesBySvc = new Map<string, Set<string>>(); // "ns/svc" → slice keys
  const state: ProxyState = { services: new Map() };
  let dirty = new Set<string>();
  const proxier = new Proxier(ipt, { clusterCIDR: opts.clusterCIDR ?? '10.244.0.0/16', nodeIp: opts.nodeIp }, () => state, log);

  const queue = new WorkQueue(100, 10_000);
  let lastSync = 0, lastFullSync = 0, lastFullCost = 0, pendingSince = 0, lastSuccess = 0;
  let waiters: Array<() => void> = [];
  const markDirty = (key: string) => {
    dirty.add(key);
    if (!pendingSince) { pendingSince = Date.now(); lastQueuedTimestamp.setToCurrentTime(); }
    queue.add(KEY);
  };
  const sliceSvc = (s: EndpointSlice & KubeObject) => {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    return svc ? `${s.metadata?.namespace}/${svc}` : undefined;
  };
  services.onChange((s) => markDirty(keyOf(s)));
  slices.onAdd((s) => { const k = sliceSvc(s); if (k) { index(k, keyOf(s), true); markDirty(k); } });
  slices.onUpdate((o, s) => {
    const a = sliceSvc(o), b = sliceSvc(s);
    if (a && a !== b) { index(a, keyOf(o), false); markDirty(a); }
    if (b) { index(b, keyOf(s), true); markDirty(b); }
  });
  slices.onDelete((s) => { const k = sliceSvc(s); if (k) { index(k, keyOf(s), false); markDirty(k); } });
  function index(svc: string, slice: string, add: boolean): void {
    let set = slicesBySvc.get(svc);
    if (add) { if (!set) slicesBySvc.set(svc, (set = new Set())); set.add(slice); }
    else if (set) { set.delete(slice); if (set.size === 0) slicesBySvc.delete(svc); }
  }

  const reconcile = async (): Promise<void> => {
    const wait = lastSync + minInterval - Date.now();
    if (wait > 0) { queue.addAfter(KEY, wait); return; } // coalesce bursts of events
    lastSync = Date.now();
    // Full resyncs repair what others deleted; on huge nft tables they are costly, so space them out.
    if (Date.now() - lastFullSync > Math.max(syncPeriod, 10 * lastFullCost)) proxier.forceFullSync();
    const changed = dirty;
    dirty = new Set();
    const queuedAt = pendingSince;
    pendingSince = 0;
    for (const key of changed) {
      const sliceObjs = [...(slicesBySvc.get(key) ?? [])].map((k) => slices.get(k)).filter((s): s is EndpointSlice & KubeObject => !!s);
      const entry = serviceEntry(services.get(key), sliceObjs);
      if (entry) state.services.set(key, entry); else state.services.delete(key);
    }
    let stats;
    try {
      stats = await proxier.syncProxyRules(changed);
    } catch (err) {
      for (const k of changed) dirty.add(k); // retried (rate-limited) with what is new by then
      pendingSince = queuedAt || Date.now();
      throw err;
    }
    lastSuccess = Date.now();
    if (stats.fullSync) { lastFullSync = Date.now(); lastFullCost = stats.totalMs; }
    if (stats.fullSync || stats.totalMs > 1000) log.info(stats, 'synced proxy rules');
    for (const w of waiters.splice(0)) w();
  };

  await Promise.all([services.start(), slices.start()]);
  for (const s of services.list()) dirty.add(keyOf(s));
  const loop = runController('kube-proxy', queue, reconcile);
  queue.add(KEY);
  const resync = setInterval(() => queue.add(KEY), syncPeriod);
  resync.unref();

  // Healthy while no change has waited longer than it should (upstream's healthTimeout).
  const healthTimeout = Math.max(2 * syncPeriod, 10_000);
  const health = (): ProxyHealth => {
    const now = Date.now();
    const healthy = isHealthy(lastSuccess, pendingSince, now, healthTimeout);
    return { healthy, lastUpdated: new Date(lastSuccess || 0).toISOString(), currentTime: new Date(now).toISOString(), nodeName: opts.nodeName };
  };
  const server = await startProxyServer({
    healthz: opts.healthzAddress ?? '127.0.0.1:10256', metrics: opts.metricsAddress ?? '127.0.0.1:10249', health,
  }, log).catch((err: Error) => { log.warn({ err: err.message }, 'kube-proxy /healthz and /metrics not served'); return undefined; });
  log.info({ services: services.list().length, slices: slices.list().length }, 'kube-proxy started');

  return {
    async stop() {
      clearInterval(resync);
      services.stop();
      slices.stop();
      queue.shutDown();
      await loop;
      await server?.close();
      log.info('kube-proxy stopped; rules left in place');
    },
    cleanupRules: () => proxier.cleanupRules(),
    synced: () => new Promise<void>((resolve) => waiters.push(resolve)),
    health,
    ports: server?.ports ?? [],
  };
}
