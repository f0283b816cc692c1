// The kubelet, wired: CRI connection, node registration + status + lease, the pod informer
// (pods bound to this node) feeding the pod workers' queue, the PLEG, and the HTTP server.
// Each piece lives in the folder named after its concept; this file only connects them.
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../control/client/api-client.js';
import { Informer, keyOf, stripManagedFields } from '../../control/client/informer.js';
import { logger } from '../../control/client/log.js';
import { R } from '../../control/client/resources.js';
import { connectCri } from '../cri/client.js';
import type { CriRuntime } from '../cri/runtime.js';
import type { KubeletConfig } from './config.js';
import { ObjectCache } from './configmap/object-cache.js';
import { EventRecorder } from './events/recorder.js';
import { ProberManager } from './prober/prober-manager.js';
import { VolumeManager } from './volumes/volume-manager.js';
import { RuntimeManager } from './kuberuntime/runtime-manager.js';
import { kubeletMetrics } from './metrics.js';
import { NodeLease } from './nodelease/lease.js';
import { NodeStatusLoop } from './nodestatus/node-status-loop.js';
import { Pleg } from './pleg/pleg.js';
import { PodWorkers } from './podworkers/pod-workers.js';
import { startKubeletServer } from './server/server.js';
import { SummaryProvider } from './stats/summary.js';
import { StatusManager, canonical } from './status/status-manager.js';
import { ContainerLogManager } from './logs/container-log-manager.js';
import { everyWithoutOverlap } from './util/time.js';

const VOLUME_RESYNC_MS = 10_000;

export interface Kubelet {
  cri: CriRuntime;
  workers: PodWorkers;
  stop(): Promise<void>;
}

export async function startKubelet(cfg: KubeletConfig, client = new ApiClient({ server: cfg.server, userAgent: `kubelet/${cfg.nodeName}` })): Promise<Kubelet> {
  const log = logger('kubelet', { node: cfg.nodeName });
  const metrics = kubeletMetrics();
  mkdirSync(cfg.rootDir, { recursive: true }); // upstream setupDataDirs: node status reads its filesystem
  const cri = await connectCri(cfg.runtimeEndpoint, { waitMs: 60_000 });
  const v = await cri.version();
  log.info({ runtime: v.runtime_name, version: v.runtime_version, endpoint: cfg.runtimeEndpoint }, 'connected to container runtime');

  const nodeStatus = new NodeStatusLoop(client, cri, cfg, `${v.runtime_name}://${v.runtime_version}`, log);
  await registerUntilOk(nodeStatus, log);
  nodeStatus.start();
  const lease = new NodeLease(client, cfg.nodeName, () => nodeStatus.nodeUid, log);
  lease.start();

  const events = new EventRecorder(client, cfg.nodeName, log);
  const pods = new Informer<Pod>(client, R.pods, { fieldSelector: `spec.nodeName=${cfg.nodeName}`, transform: stripManagedFields });
  let enqueue = (_k: string) => {};
  const probes = new ProberManager(cri, events, (k) => enqueue(k), log);
  const runtime = new RuntimeManager(cri, cfg, events, { objects: new ObjectCache(client), volumes: new VolumeManager(cfg.rootDir), probes });
  const workers = new PodWorkers({
    cfg, client, cri, runtimeName: v.runtime_name, pods, runtime,
    status: new StatusManager(client), events, metrics, log,
  });
  // Status-only updates (mostly our own writes) do not need a sync; the PLEG reports runtime changes,
  // and the pod workers resync each pod on their own jittered schedule.
  enqueue = (k) => workers.enqueue(k);
  pods.onAdd((p) => workers.enqueue(keyOf(p)))
    .onUpdate((old, cur) => { if (old === cur || specChanged(old, cur)) workers.enqueue(keyOf(cur)); })
    .onDelete((p) => workers.enqueue(keyOf(p)));
  await pods.start();
  const done = workers.run(8);
  // ConfigMap, secret and token changes reach running pods' files within VOLUME_RESYNC_MS.
  const stopVolumeResync = everyWithoutOverlap(VOLUME_RESYNC_MS, () => workers.refreshVolumes());
  const pleg = new Pleg({
    cri, metrics, log, enqueue: (k) => workers.enqueue(k),
    knownUid: (uid) => pods.list().some((p) => p.metadata?.uid === uid),
  });
  pleg.start();

  const stats = new SummaryProvider(cri, cfg, () => pods.list());
  stats.start();
  // Docker rotates its own json-file logs (scripts/node/dockerd-config.sh).
  const stopLogRotation = v.runtime_name === 'docker' ? () => {}
    : new ContainerLogManager(cri, { maxSize: cfg.containerLogMaxSize, maxFiles: cfg.containerLogMaxFiles }, log).start(cfg.containerLogMonitorIntervalMs);
  let server: Server | undefined;
  if (cfg.port) {
    server = await startKubeletServer(cfg.port, '0.0.0.0', { metrics, log, pods: () => pods.list(), pod: (ns, n) => pods.get(`${ns}/${n}`), healthy: () => true, cri, runtime, summary: () => stats.summary() })
      .catch((err: Error) => { log.error({ err: err.message, port: cfg.port }, 'kubelet server failed to listen'); return undefined; });
  }
  log.info({ pods: pods.list().length }, 'kubelet started');

  return {
    cri, workers,
    async stop() {
      pleg.stop();
      stopLogRotation();
      stopVolumeResync();
      probes.stopAll();
      stats.stop();
      pods.stop();
      workers.stop();
      lease.stop();
      nodeStatus.stop();
      server?.close();
      await done;
      cri.close();
    },
  };
}

/** Anything but status and bookkeeping metadata changed. */
export function specChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = p.metadata ?? {};
    return canonical({ meta, spec: p.spec });
  };
  return strip(a) !== strip(b);
}

async function registerUntilOk(n: NodeStatusLoop, log: ReturnType<typeof logger>): Promise<void> {
  for (let i = 0; ; i++) {
    try { return await n.register(); } catch (err) {
      if (i % 10 === 0) log.warn({ err: (err as Error).message }, 'node registration failed; retrying');
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** i, 5000)));
    }
  }
}
