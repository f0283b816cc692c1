// The controller manager: every controller in one process over one set of shared informers
// (upstream kube-controller-manager), leader-elected through the kube-system/kube-controller-manager
// Lease, with /healthz and /metrics on 127.0.0.1:10257 (HTTPS when `serving` is given). `tskube server` calls startControllers(client).
import { Gauge, Registry } from '../metrics/prom.js';
import { ApiClient } from '../client/api-client.js';
import { logger } from '../client/log.js';
import { LeaderElector, runWhileLeading } from '../client/leaderelection.js';
import { SharedInformers } from './informers.js';
import { runControllerLoop, type Controller, type Running } from './util/run.js';
import { startHealthServer } from './util/health-server.js';
import type { SecureServingOptions } from '../serving/secure-serving.js';
import { DeploymentController } from './deployment/deployment-controller.js';
import { ReplicaSetController } from './replicaset/replicaset-controller.js';
import { EndpointsController } from './endpoints/endpoints-controller.js';
import { EndpointSliceController } from './endpointslice/endpointslice-controller.js';
import { NodeIpamController, type NodeIpamOptions } from './nodeipam/nodeipam-controller.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { NodeLifecycleController, nodeLifecycleOptionsFromEnv, type NodeLifecycleOptions } from './nodelifecycle/node-lifecycle-controller.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { ServiceAccountsController } from './serviceaccount/serviceaccounts-controller.js';
import { ResourceQuotaController } from './resourcequota/resourcequota-controller.js';
import { DaemonSetController } from './daemonset/daemonset-controller.js';
import { JobController, type JobOptions } from './job/job-controller.js';
import { StatefulSetController } from './statefulset/statefulset-controller.js';
import { RootCACertPublisher } from './rootcacertpublisher/publisher.js';
import { PersistentVolumeController } from './persistentvolume/pv-controller.js';
import { PVCProtectionController, PVProtectionController } from './persistentvolume/protection.js';

export { EventRecorder } from './events.js';
export { SharedInformers } from './informers.js';

export const CONTROLLER_MANAGER_PORT = 10257;

export interface ControllerManagerOptions {
  /** Controllers to leave out, by name ("deployment", "replicaset", "daemonset", "job", …). */
  disable?: string[];
  nodeIpam?: NodeIpamOptions;
  nodeLifecycle?: NodeLifecycleOptions;
  job?: JobOptions;
  /** Campaign for the kube-system/kube-controller-manager Lease first (default true). */
  leaderElect?: boolean;
  /** /healthz + /metrics port on 127.0.0.1 (default 10257; negative: none). */
  healthPort?: number;
  /** HTTPS + delegated authn/authz on that port (upstream's secure serving); absent: plain HTTP. */
  serving?: SecureServingOptions;
  /** The cluster CA (PEM) published as kube-root-ca.crt in every namespace; none without it. */
  rootCA?: string;
}

const log = logger('controller-manager');

export interface ControllerManager { stop(): Promise<void>; isLeader(): boolean; identity?: string; healthPort?: number }

export async function startControllers(client: ApiClient, opts: ControllerManagerOptions = {}): Promise<ControllerManager> {
  const registry = new Registry();
  let active: { informers: SharedInformers; running: Running[]; queues: Map<string, Controller> } | undefined;
  new Gauge({ name: 'workqueue_depth', help: 'Current depth of each controller\'s work queue.', labelNames: ['name'], registers: [registry],
    collect() { this.reset(); for (const [n, c] of active?.queues ?? []) this.set({ name: n }, c.queue.len()); } });
  const leaderGauge = new Gauge({ name: 'leader_election_master_status', help: '1 while this instance leads.', labelNames: ['name'], registers: [registry] });

  const start = async () => {
    const informers = new SharedInformers(client);
    const lifecycle = { ...nodeLifecycleOptionsFromEnv(), ...opts.nodeLifecycle };
    const all: Array<{ name: string; make: () => Controller; workers: number }> = [
      { name: 'deployment', make: () => new DeploymentController(client, informers), workers: 2 },
      { name: 'replicaset', make: () => new ReplicaSetController(client, informers), workers: 2 },
      { name: 'endpoints', make: () => new EndpointsController(client, informers), workers: 2 },
      { name: 'endpointslice', make: () => new EndpointSliceController(client, informers), workers: 2 },
      ...(opts.rootCA ? [{ name: 'root-ca-cert-publisher', make: () => new RootCACertPublisher(client, informers, opts.rootCA!), workers: 1 }] : []),
      { name: 'nodeipam', make: () => new NodeIpamController(client, informers, opts.nodeIpam), workers: 1 },
      { name: 'nodelifecycle', make: () => new NodeLifecycleController(client, informers, lifecycle), workers: 1 },
      { name: 'garbagecollector', make: () => new GarbageCollector(client, informers), workers: 2 },
      { name: 'namespace', make: () => new NamespaceController(client, informers), workers: 2 },
      { name: 'serviceaccount', make: () => new ServiceAccountsController(client, informers), workers: 1 },
      { name: 'resourcequota', make: () => new ResourceQuotaController(client, informers), workers: 1 },
      { name: 'daemonset', make: () => new DaemonSetController(client, informers), workers: 2 },
      { name: 'job', make: () => new JobController(client, informers, opts.job), workers: 2 },
      { name: 'statefulset', make: () => new StatefulSetController(client, informers), workers: 2 },
      { name: 'persistentvolume-binder', make: () => new PersistentVolumeController(client, informers), workers: 1 },
      { name: 'pvc-protection', make: () => new PVCProtectionController(client, informers), workers: 1 },
      { name: 'pv-protection', make: () => new PVProtectionController(client, informers), workers: 1 },
    ];
    const disabled = new Set(opts.disable ?? []);
    // Construct all first (they register informer handlers), then list once and run them.
    const controllers = all.filter((c) => !disabled.has(c.name)).map((c) => ({ c: c.make(), workers: c.workers }));
    const running: Running[] = [];
    active = { informers, running, queues: new Map(controllers.map(({ c }) => [c.name, c])) };
    for (const { c, workers } of controllers) running.push(await runControllerLoop(c, informers, false, workers));
    log.info({ controllers: controllers.map(({ c }) => c.name) }, 'controllers started');
  };
  const stopAll = () => {
    if (!active) return;
    for (const r of active.running) r.stop();
    active.informers.stop();
    active = undefined;
  };

  let elector: LeaderElector | undefined;
  const health = await startHealthServer({
    component: 'controller-manager', port: opts.healthPort ?? CONTROLLER_MANAGER_PORT, registry,
    secure: opts.serving && { client, ...opts.serving },
    checks: { leaderElection: () => elector?.healthy() ?? true },
  });

  elector = await runWhileLeading(client, {
    name: 'kube-controller-manager', leaderElect: opts.leaderElect, gauge: leaderGauge, log, start, stop: stopAll,
  });
  return {
    identity: elector?.identity,
    healthPort: health?.port,
    isLeader: () => elector?.isLeader() ?? true,
    async stop() {
      await elector?.stop();
      stopAll();
      await health?.close();
    },
  };
}
