// The controller manager: every controller in one process over one set of shared informers
// (upstream kube-controller-manager). `tskube server` calls startControllers(client).
import { ApiClient } from '../client/api-client.js';
import { logger } from '../client/log.js';
import { SharedInformers } from './informers.js';
import type { Running } from './util/run.js';
import { ReplicaSetController } from './replicaset/replicaset-controller.js';
import { runControllerLoop } from './util/run.js';

const log = logger('controller-manager');

export async function startControllers(client: ApiClient): Promise<{ stop(): void }> {
  const informers = new SharedInformers(client);
  const controllers = [
    { c: new ReplicaSetController(client, informers), workers: 2 },
  ];
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
