// `tskube server`: the control plane in one process, k3s-style — API server on the embedded
// store, plus scheduler and controllers as ordinary API clients of it. Flags → config →
// daemons; `--disable scheduler,controllers` leaves those to separate processes.
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from './store/index.js';
import { Store } from './api/storage.js';
import { buildApiServer } from './api/server.js';
import { bootstrap } from './api/bootstrap.js';
import { httpProbe } from './api/resources/componentstatuses.js';
import { kubeletProxyExtension } from './api/proxy/index.js';
import { startClusterDns } from './dns/index.js';
import { ApiClient } from './client/api-client.js';
import { logger } from './client/log.js';

const log = logger('server');

function firstAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** etcd-0 as upstream names it; the embedded store shows as sqlite-0. */
const backendName = (url: string | undefined) => (url?.startsWith('etcd') ? 'etcd-0' : 'sqlite-0');

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: 'string', default: '0.0.0.0:6443' },
      'data-dir': { type: 'string', default: '/var/lib/tskube/server' },
      storage: { type: 'string' },
      'advertise-address': { type: 'string' },
      disable: { type: 'string', default: '' }, // scheduler,controllers,dns
      'enable-admission-plugins': { type: 'string', default: '' },
      'disable-admission-plugins': { type: 'string', default: '' },
    },
  });
  const [host, portStr] = values.listen!.split(/:(?=\d+$)/);
  const port = Number(portStr);
  if (!host || !Number.isInteger(port)) throw new Error(`--listen must be host:port, got ${values.listen}`);
  const dataDir = resolve(values['data-dir']!);
  mkdirSync(dataDir, { recursive: true });
  const backend = openStore(values.storage ?? `sqlite://${join(dataDir, 'state.db')}`);
  const store = new Store(backend);
  const advertiseAddress = values['advertise-address'] ?? (host === '0.0.0.0' ? firstAddress() : host);

  const storeProbe = {
    name: backendName(values.storage),
    async check() {
      try { return { ok: true, message: `ok (revision ${await backend.currentRevision()})` }; } catch (err) { return { ok: false, message: (err as Error).message }; }
    },
  };
  const { app, rest } = buildApiServer(store, {
    advertiseAddress: `${advertiseAddress}:${port}`,
    componentProbes: [
      httpProbe('scheduler', 'http://127.0.0.1:10259/healthz'),
      httpProbe('controller-manager', 'http://127.0.0.1:10257/healthz'),
      storeProbe,
    ],
    extensions: [kubeletProxyExtension()],
    admission: {
      enable: values['enable-admission-plugins']!.split(',').filter(Boolean),
      disable: values['disable-admission-plugins']!.split(',').filter(Boolean),
    },
  });
  await bootstrap(rest, { advertiseAddress, port });
  await app.listen({ host, port });
  log.info({ listen: values.listen, dataDir, advertiseAddress }, 'API server listening');

  const disabled = new Set(values.disable!.split(',').filter(Boolean));
  const client = new ApiClient({ server: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, userAgent: 'tskube-server' });
  const stops: Array<() => unknown> = [];
  if (!disabled.has('controllers')) {
    const { startControllers } = await import('./controllers/index.js');
    stops.push((await startControllers(client)).stop);
  }
  if (!disabled.has('dns')) {
    const dns = await startClusterDns(client, { listenAddress: advertiseAddress });
    stops.push(() => dns.stop());
  }
  if (!disabled.has('scheduler')) {
    const { startScheduler } = await import('./scheduler/index.js');
    const s = await startScheduler(client, {});
    stops.push(() => s.stop());
  }

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    for (const stop of stops) await stop();
    await app.close();
    await backend.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
