// The controller manager: every controller in one process over one set of shared informers
// (upstream kube-controller-manager). `tskube server` calls startControllers(client).
import { ApiClient } from '../client/api-client.js';
import { logger } from '../client/log.js';
import { SharedInformers } from './informers.js';
import { runControllerLoop, type Controller, type Running } from './util/run.js';
import { DeploymentController } from './deployment/deployment-controller.js';
import { ReplicaSetController } from './replicaset/replicaset-controller.js';
import { EndpointsController } from './endpoints/endpoints-controller.js';
import { NodeIpamController, type NodeIpamOptions } from './nodeipam/nodeipam-controller.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { NodeLifecycleController, type NodeLifecycleOptions } from './nodelifecycle/node-lifecycle-controller.js';

export { EventRecorder } from './events.js';
export { SharedInformers } from './informers.js';

export interface ControllerManagerOptions {
  /** Controllers to leave out, by name ("deployment", "replicaset", "endpoints", "nodeipam", …). */
  disable?: string[];
  nodeIpam?: NodeIpamOptions;
  nodeLifecycle?: NodeLifecycleOptions;
}

const log = logger('controller-manager');

export async function startControllers(client: ApiClient, opts: ControllerManagerOptions = {}): Promise<{ stop(): void }> {
  const informers = new SharedInformers(client);
  const all: Array<{ name: string; make: () => Controller; workers: number }> = [
    { name: 'deployment', make: () => new DeploymentController(client, informers), workers: 2 },
    { name: 'replicaset', make: () => new ReplicaSetController(client, informers), workers: 2 },
    { name: 'endpoints', make: () => new EndpointsController(client, informers), workers: 2 },
    { name: 'nodeipam', make: () => new NodeIpamController(client, informers, opts.nodeIpam), workers: 1 },
    { name: 'nodelifecycle', make: () => new NodeLifecycleController(client, informers, opts.nodeLifecycle), workers: 1 },
    { name: 'garbagecollector', make: () => new GarbageCollector(client, informers), workers: 2 },
  ];
  const disabled = new Set(opts.disable ?? []);
  // Construct all first (they register informer handlers), then list once and run them.
  const controllers = all.filter((c) => !disabled.has(c.name)).map((c) => ({ c: c.make(), workers: c.workers }));
  const running: Running[] = [];
  for (const { c, workers } of controllers) running.push(await runControllerLoop(c, informers, false, workers));
  log.info({ controllers: controllers.map(({ c }) => c.name) }, 'controllers started');
  return {
    stop() {
      for (const r of running) r.stop();
      informers.stop();
    },
  };
}
