// The pod network of one node (DESIGN decision 2, host-gw): a Node informer feeds one key;
// reconcile writes the CNI config once this node has a pod CIDR, and keeps a route to every
// other node's pod CIDR through its InternalIP. Never blocks the agent waiting for the CIDR.
import path from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiClient, KubeObject } from '../../control/client/api-client.js';
import { Informer } from '../../control/client/informer.js';
import { logger } from '../../control/client/log.js';
import { R } from '../../control/client/resources.js';
import { runController, WorkQueue } from '../../control/client/workqueue.js';
import { writeConflist } from './cni-config.js';
import { ensureHostNetwork } from './host.js';
import { desiredRoutes, syncRoutes } from './routes.js';

export interface NodeNetworkOptions {
  nodeName: string;
  nodeIp: string;
  cniConfDir: string;
  /** host-local's dataDir; default <cniConfDir>/../networks, or the plugin's own under /etc. */
  ipamDataDir?: string;
  commandPrefix?: string[]; // e.g. ['ip', 'netns', 'exec', 'x'] for tests
  resyncSeconds?: number; // default 60
}

export interface NodeNetwork {
  stop(): Promise<void>;
  /** Resolves with the pod CIDR once the CNI config for it is written. */
  ready(): Promise<string>;
}

const KEY = 'node-network';

export async function startNodeNetwork(client: ApiClient, opts: NodeNetworkOptions): Promise<NodeNetwork> {
  const log = logger('node-network', { node: opts.nodeName });
  const prefix = opts.commandPrefix ?? [];
  const ipamDataDir = opts.ipamDataDir ?? (opts.cniConfDir.startsWith('/etc/') ? undefined : path.resolve(opts.cniConfDir, '..', 'networks'));
  // Routes need only each node's pod CIDR and address: cache just those (images, conditions and
  // managedFields of every node would otherwise sit in the agent's heap).
  const routing = (n: Node & KubeObject): Node & KubeObject => ({
    metadata: { name: n.metadata?.name, uid: n.metadata?.uid, resourceVersion: n.metadata?.resourceVersion },
    spec: { podCIDR: n.spec?.podCIDR, podCIDRs: n.spec?.podCIDRs },
    status: { addresses: n.status?.addresses },
  });
  const nodes = new Informer<Node & KubeObject>(client, R.nodes, { resyncSeconds: opts.resyncSeconds ?? 60, transform: routing });
  const queue = new WorkQueue(200, 30_000);
  nodes.onChange(() => queue.add(KEY));

  let podCIDR: string | undefined;
  let resolveReady!: (cidr: string) => void;
  const readyP = new Promise<string>((r) => { resolveReady = r; });
  let hostDone = false;

  const reconcile = async (): Promise<void> => {
    if (!hostDone) { await ensureHostNetwork(opts.nodeIp, log, prefix); hostDone = true; }
    const self = nodes.get(opts.nodeName);
    const cidr = self?.spec?.podCIDR;
    if (cidr && cidr !== podCIDR) {
      if (await writeConflist(opts.cniConfDir, { podCIDR: cidr, ipamDataDir })) log.info({ podCIDR: cidr, dir: opts.cniConfDir }, 'wrote CNI config');
      podCIDR = cidr;
      resolveReady(cidr);
    } else if (!cidr) {
      log.debug('waiting for spec.podCIDR on this node');
    }
    const diff = await syncRoutes(desiredRoutes(nodes.list(), opts.nodeName), prefix);
    if (diff.replace.length || diff.remove.length) log.info(diff, 'host-gw routes changed');
  };

  await nodes.start();
  const loop = runController('node-network', queue, reconcile);
  queue.add(KEY);
  log.info('node network started');

  return {
    async stop() {
      nodes.stop();
      queue.shutDown();
      await loop;
    },
    ready: () => readyP,
  };
}
