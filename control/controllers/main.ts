// `tskube controller-manager`: every controller alone, as a client of a running API server
// (upstream kube-controller-manager), leader-elected unless --leader-elect=false.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ApiClient } from '../client/api-client.js';
import { logger } from '../client/log.js';
import { startControllers, CONTROLLER_MANAGER_PORT } from './index.js';
import { untilSignal } from '../client/signals.js';
import { servingFlags, servingFromFlags } from '../serving/flags.js';

/** "40s", "5m", "300" → seconds. */
export function parseDurationSeconds(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`${flag}: not a duration: ${JSON.stringify(v)} (e.g. 40s, 5m)`);
  const n = Number(m[1]);
  return ({ ms: n / 1000, s: n, m: n * 60, h: n * 3600 } as Record<string, number>)[m[2] ?? 's']!;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    server: { type: 'string', default: 'http://127.0.0.1:6443' },
    kubeconfig: { type: 'string' }, // server, CA, client cert/key (wins over --server)
    'leader-elect': { type: 'string', default: 'true' },
    port: { type: 'string', default: String(CONTROLLER_MANAGER_PORT) }, // --secure-port upstream
    controllers: { type: 'string', default: '*' }, // "*,-job" leaves the job controller out
    'node-monitor-grace-period': { type: 'string' },
    'pod-eviction-timeout': { type: 'string' },
    'root-ca-file': { type: 'string' }, // published as kube-root-ca.crt in every namespace
    'secure-port': { type: 'string' },
    ...servingFlags,
  } });
  const disable = values.controllers!.split(',').filter((c) => c.startsWith('-')).map((c) => c.slice(1));
  const nodeLifecycle: Record<string, number> = {};
  if (values['node-monitor-grace-period']) nodeLifecycle.gracePeriodSeconds = parseDurationSeconds(values['node-monitor-grace-period'], '--node-monitor-grace-period');
  if (values['pod-eviction-timeout']) nodeLifecycle.defaultTolerationSeconds = parseDurationSeconds(values['pod-eviction-timeout'], '--pod-eviction-timeout');
  const client = values.kubeconfig ? ApiClient.fromKubeconfig(values.kubeconfig, 'tskube-controller-manager') : new ApiClient({ server: values.server!, userAgent: 'tskube-controller-manager' });
  const c = await startControllers(client, {
    disable, nodeLifecycle, leaderElect: values['leader-elect'] !== 'false', healthPort: Number(values['secure-port'] ?? values.port),
    serving: servingFromFlags(values, client, 'tskube-controller-manager'),
    rootCA: values['root-ca-file'] ? readFileSync(values['root-ca-file'], 'utf8') : undefined,
  });
  logger('controller-manager').info({ server: values.server, identity: c.identity }, 'controller manager running');
  await untilSignal();
  await c.stop();
}
