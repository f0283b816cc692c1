// `tskube proxy`: kube-proxy alone on a node, as a client of a running API server.
import { parseArgs } from 'node:util';
import { ApiClient } from '../../control/client/api-client.js';
import { logger } from '../../control/client/log.js';
import { untilSignal } from '../../control/client/signals.js';
import { startKubeProxy } from './index.js';

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    server: { type: 'string', default: 'http://127.0.0.1:6443' },
    kubeconfig: { type: 'string' }, // server, CA, client cert/key (wins over --server)
    'node-name': { type: 'string' },
    'node-ip': { type: 'string' },
    'cluster-cidr': { type: 'string', default: '10.244.0.0/16' },
  } });
  if (!values['node-name'] || !values['node-ip']) throw new Error('--node-name and --node-ip are required');
  const ua = `tskube-proxy/${values['node-name']}`;
  const client = values.kubeconfig ? ApiClient.fromKubeconfig(values.kubeconfig, ua) : new ApiClient({ server: values.server!, userAgent: ua });
  const p = await startKubeProxy(client, { nodeName: values['node-name'], nodeIp: values['node-ip'], clusterCIDR: values['cluster-cidr'] });
  logger('kube-proxy').info({ server: values.server }, 'kube-proxy running');
  await untilSignal();
  await p.stop();
}
