// `tskube scheduler`: the scheduler alone, as a client of a running API server
// (upstream kube-scheduler). A second one with --scheduler-name serves pods that name it.
import { parseArgs } from 'node:util';
import { ApiClient } from '../client/api-client.js';
import { logger } from '../client/log.js';
import { startScheduler } from './index.js';
import { untilSignal } from '../client/signals.js';
import { servingFlags, servingFromFlags } from '../serving/flags.js';

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    server: { type: 'string', default: 'http://127.0.0.1:6443' },
    kubeconfig: { type: 'string' }, // server, CA, client cert/key (wins over --server)
    'scheduler-name': { type: 'string', default: 'default-scheduler' },
    'leader-elect': { type: 'string', default: 'true' },
    'leader-elect-resource-name': { type: 'string' },
    port: { type: 'string' }, // health/metrics port (upstream --secure-port); default 10259 for default-scheduler
    'secure-port': { type: 'string' },
    ...servingFlags,
  } });
  const port = values['secure-port'] ?? values.port;
  const client = values.kubeconfig ? ApiClient.fromKubeconfig(values.kubeconfig, 'tskube-scheduler') : new ApiClient({ server: values.server!, userAgent: 'tskube-scheduler' });
  const s = await startScheduler(client, {
    schedulerName: values['scheduler-name'], leaderElect: values['leader-elect'] !== 'false',
    leaseName: values['leader-elect-resource-name'], healthPort: port === undefined ? undefined : Number(port),
    serving: servingFromFlags(values, client, 'tskube-scheduler'),
  });
  logger('scheduler').info({ server: values.server, schedulerName: values['scheduler-name'], identity: s.identity }, 'scheduler running');
  await untilSignal();
  await s.stop();
}
