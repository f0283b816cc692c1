// kube-proxy (iptables mode): informers on Services and Endpoints feed one key into a work
// queue; every change, however many, becomes one syncProxyRules() at most every
// minSyncIntervalMs, plus a full resync on a timer that repairs rules someone else removed.
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { ApiClient, KubeObject } from '../../control/client/api-client.js';
import { Informer } from '../../control/client/informer.js';
import { logger } from '../../control/client/log.js';
import { R } from '../../control/client/resources.js';
import { runController, WorkQueue } from '../../control/client/workqueue.js';
import { Iptables } from './iptables/exec.js';
import { Proxier } from './iptables/proxier.js';
import { backendFor, detectBackend } from './iptables/wrapper.js';
import { buildProxyState } from './service-model.js';

export { Proxier } from './iptables/proxier.js';
export { renderRules } from './iptables/render.js';

export interface KubeProxyOptions {
  nodeName: string;
  nodeIp: string;
  clusterCIDR?: string; // default 10.244.0.0/16
  minSyncIntervalMs?: number; // default 100
  syncPeriodMs?: number; // full resync; default 30 s
  commandPrefix?: string[]; // e.g. ['ip', 'netns', 'exec', 'x'] for tests
}

export interface KubeProxy {
  stop(): Promise<void>;
  /** Removes all of kube-proxy's rules (stop() leaves them in place, as upstream). */
  cleanupRules(): Promise<void>;
  /** Resolves after the next successful sync (tests use it). */
  synced(): Promise<void>;
}

const KEY = 'sync';

/** Removes kube-proxy's rules from both backends without an API server (`agent --cleanup`, lab down). */
export async function cleanupProxyRules(commandPrefix: string[] = []): Promise<void> {
  for (const mode of ['nft', 'legacy'] as const) {
    const proxier = new Proxier(new Iptables(backendFor(mode), commandPrefix), { clusterCIDR: '', nodeIp: '' }, () => ({ services: [], endpoints: new Map() }));
    await proxier.cleanupRules().catch(() => undefined); // a backend that is not installed
  }
}

export async function startKubeProxy(client: ApiClient, opts: KubeProxyOptions): Promise<KubeProxy> {
  const log = logger('kube-proxy', { node: opts.nodeName });
  const minInterval = opts.minSyncIntervalMs ?? 100;
  const backend = await detectBackend(opts.commandPrefix);
  log.info({ backend: backend.mode, restore: backend.restore }, 'iptables backend selected');
  const ipt = new Iptables(backend, opts.commandPrefix);
  // Tell later detections (ours, a real kube-proxy's) which backend this node uses, as the kubelet does.
  await ipt.ensureChain('mangle', 'KUBE-IPTABLES-HINT');

  const services = new Informer<Service & KubeObject>(client, R.services);
  const endpoints = new Informer<Endpoints & KubeObject>(client, R.endpoints);
  const proxier = new Proxier(ipt, { clusterCIDR: opts.clusterCIDR ?? '10.244.0.0/16', nodeIp: opts.nodeIp },
    () => buildProxyState(services.list(), (k) => endpoints.get(k)), log);

  const queue = new WorkQueue(100, 10_000);
  let lastSync = 0;
  let waiters: Array<() => void> = [];
  const enqueue = () => queue.add(KEY);
  services.onChange(enqueue);
  endpoints.onChange(enqueue);

  const reconcile = async (): Promise<void> => {
    const wait = lastSync + minInterval - Date.now();
    if (wait > 0) { queue.addAfter(KEY, wait); return; } // coalesce bursts of events
    lastSync = Date.now();
    const stats = await proxier.syncProxyRules();
    if (stats.fullSync || stats.totalMs > 1000) log.info(stats, 'synced proxy rules');
    for (const w of waiters.splice(0)) w();
  };

  await Promise.all([services.start(), endpoints.start()]);
  const loop = runController('kube-proxy', queue, reconcile);
  enqueue();
  const resync = setInterval(() => { proxier.forceFullSync(); enqueue(); }, opts.syncPeriodMs ?? 30_000);
  resync.unref();
  log.info({ services: services.list().length }, 'kube-proxy started');

  return {
    async stop() {
      clearInterval(resync);
      services.stop();
      endpoints.stop();
      queue.shutDown();
      await loop;
      log.info('kube-proxy stopped; rules left in place');
    },
    cleanupRules: () => proxier.cleanupRules(),
    synced: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}
