// `tskube server`: the control plane in one process, k3s-style — API server on the embedded
// store, plus scheduler and controllers as ordinary API clients of it. Flags → config →
// daemons; `--disable scheduler,controllers` leaves those to separate processes.
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from './store/index.js';
import { Store } from './api/storage.js';
import { buildApiServer } from './api/server.js';
import { bootstrap } from './api/bootstrap.js';
import { httpProbe } from './api/resources/componentstatuses.js';
import { startServiceAllocationRepair } from './api/resources/service-repair.js';
import { parseDuration } from './store/compactor.js';
import { kubeletProxyExtension } from './api/proxy/index.js';
import { startClusterDns } from './dns/index.js';
import { ApiClient } from './client/api-client.js';
import { logger } from './client/log.js';
import { ApiAuth } from './api/auth/index.js';
import { reviewExtension } from './api/auth/review-handlers.js';
import { reconcileDefaultPolicy } from './api/auth/bootstrap-policy.js';
import { loadEncryptionConfig } from './api/encryption.js';
import { setKubeletClientTls } from './api/proxy/kubelet-tls.js';
import type { SecureServingOptions } from './serving/secure-serving.js';

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
      // Security (docs/security.md), upstream's flag names.
      'tls-cert-file': { type: 'string' },
      'tls-private-key-file': { type: 'string' },
      'client-ca-file': { type: 'string' },
      'token-auth-file': { type: 'string' },
      'service-account-key-file': { type: 'string', multiple: true },
      'service-account-signing-key-file': { type: 'string' },
      'service-account-issuer': { type: 'string' },
      'api-audiences': { type: 'string' },
      'authorization-mode': { type: 'string', default: 'AlwaysAllow' },
      'anonymous-auth': { type: 'string', default: 'true' },
      'encryption-provider-config': { type: 'string' },
      'audit-log-path': { type: 'string' },
      'audit-policy-file': { type: 'string' },
      'kubelet-client-certificate': { type: 'string' },
      'kubelet-client-key': { type: 'string' },
      'kubelet-certificate-authority': { type: 'string' },
      // Serving certificates of the in-process scheduler and controller manager (:10259, :10257):
      // <dir>/kube-scheduler.{crt,key} and <dir>/kube-controller-manager.{crt,key}; else self-signed.
      'component-cert-dir': { type: 'string' },
      // Client TLS to etcd (upstream's names).
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      // How often leaked Service cluster IPs and node ports are looked for (upstream: 3m; 0 disables).
      'service-allocation-repair-interval': { type: 'string', default: '3m' },
    },
  });
  const tlsFiles = [values['tls-cert-file'], values['tls-private-key-file']];
  if (tlsFiles.filter(Boolean).length === 1) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const [host, portStr] = values.listen!.split(/:(?=\d+$)/);
  const port = Number(portStr);
  if (!host || !Number.isInteger(port)) throw new Error(`--listen must be host:port, got ${values.listen}`);
  const dataDir = resolve(values['data-dir']!);
  mkdirSync(dataDir, { recursive: true });
  if ((values['etcd-certfile'] || values['etcd-keyfile']) && !values['etcd-cafile']) throw new Error('--etcd-certfile and --etcd-keyfile need --etcd-cafile');
  const etcdTls = values['etcd-cafile'] ? { ca: readFileSync(values['etcd-cafile'], 'utf8'),
    cert: values['etcd-certfile'] && readFileSync(values['etcd-certfile'], 'utf8'), key: values['etcd-keyfile'] && readFileSync(values['etcd-keyfile'], 'utf8') } : undefined;
  const backend = openStore(values.storage ?? `sqlite://${join(dataDir, 'state.db')}`, { etcdTls });
  const store = new Store(backend, values['encryption-provider-config'] ? loadEncryptionConfig(values['encryption-provider-config']) : undefined);
  const clientCA = values['client-ca-file'] ? readFileSync(values['client-ca-file'], 'utf8') : undefined;
  const auth = new ApiAuth(store, {
    clientCA, tokenAuthFile: values['token-auth-file'],
    serviceAccountKeyFiles: values['service-account-key-file'], serviceAccountSigningKeyFile: values['service-account-signing-key-file'],
    serviceAccountIssuer: values['service-account-issuer'], apiAudiences: values['api-audiences']?.split(',').filter(Boolean),
    authorizationMode: values['authorization-mode'], anonymous: values['anonymous-auth'] !== 'false',
    auditLogPath: values['audit-log-path'], auditPolicyFile: values['audit-policy-file'],
  });
  setKubeletClientTls({ certFile: values['kubelet-client-certificate'], keyFile: values['kubelet-client-key'], caFile: values['kubelet-certificate-authority'] });
  const https = values['tls-cert-file'] ? { cert: readFileSync(values['tls-cert-file'], 'utf8'), key: readFileSync(values['tls-private-key-file']!, 'utf8'), ca: clientCA } : undefined;
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
      httpProbe('scheduler', `${https ? 'https' : 'http'}://127.0.0.1:10259/healthz`),
      httpProbe('controller-manager', `${https ? 'https' : 'http'}://127.0.0.1:10257/healthz`),
      storeProbe,
    ],
    extensions: [kubeletProxyExtension(), reviewExtension(auth)],
    https, auth,
    admission: {
      // Pods get a kube-api-access volume only when the API server can issue their tokens.
      serviceAccountTokens: !!values['service-account-signing-key-file'],
      enable: values['enable-admission-plugins']!.split(',').filter(Boolean),
      disable: values['disable-admission-plugins']!.split(',').filter(Boolean),
    },
  });
  await bootstrap(rest, { advertiseAddress, port });
  if (auth.rbac) await reconcileDefaultPolicy(rest);
  await auth.start();
  await app.listen({ host, port });
  log.info({ listen: values.listen, dataDir, advertiseAddress, https: !!https, authorization: values['authorization-mode'] }, 'API server listening');

  const disabled = new Set(values.disable!.split(',').filter(Boolean));
  // In-process components call the listener on loopback with the server's own token.
  const client = new ApiClient({ server: `${https ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, userAgent: 'tskube-server',
    ...(auth.enforcing ? { token: auth.loopbackToken } : {}), insecureSkipTLSVerify: true });
  const stops: Array<() => unknown> = [];
  stops.push(startServiceAllocationRepair(store, parseDuration(values['service-allocation-repair-interval']!)));
  // A secure API server means secure component endpoints too (HTTPS, delegated authn/authz).
  const serving = (stem: string): SecureServingOptions | undefined => {
    if (!https) return undefined;
    const dir = values['component-cert-dir'];
    const pair = dir ? { cert: readFileSync(join(dir, `${stem}.crt`), 'utf8'), key: readFileSync(join(dir, `${stem}.key`), 'utf8') } : {};
    return { ...pair, clientCA };
  };
  if (!disabled.has('controllers')) {
    const { startControllers } = await import('./controllers/index.js');
    stops.push((await startControllers(client, { rootCA: clientCA, serving: serving('kube-controller-manager') })).stop);
  }
  if (!disabled.has('dns')) {
    const dns = await startClusterDns(client, { listenAddress: advertiseAddress });
    stops.push(() => dns.stop());
  }
  if (!disabled.has('scheduler')) {
    const { startScheduler } = await import('./scheduler/index.js');
    const s = await startScheduler(client, { serving: serving('kube-scheduler') });
    stops.push(() => s.stop());
  }

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    for (const stop of stops) await stop();
    await app.close();
    auth.stop();
    await backend.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
