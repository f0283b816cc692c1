// `tskube controller-manager`: every controller alone, as a client of a running API server
// (upstream kube-controller-manager).
import { parseArgs } from 'node:util';
import { ApiClient } from '../client/api-client.js';
import { logger } from '../client/log.js';
import { startControllers } from './index.js';
import { untilSignal } from '../client/signals.js';

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { server: { type: 'string', default: 'http://127.0.0.1:6443' } } });
  const client = new ApiClient({ server: values.server!, userAgent: 'tskube-controller-manager' });
  const c = await startControllers(client);
  logger('controller-manager').info({ server: values.server }, 'controllers running');
  await untilSignal();
  c.stop();
}
