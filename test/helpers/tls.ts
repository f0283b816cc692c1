// Test helper: HTTPS clients built from a kubeconfig (server, CA, client cert/key, token), a
// fetch that uses them, and a secure `tskube server` (PKI, RBAC, Node authorizer, encryption,
// audit) on a free loopback port for integration tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { loadKubeconfig, type ClientCredentials } from '../../control/client/kubeconfig.js';
import { ApiClient } from '../../control/client/api-client.js';
import { initPki, type PkiFiles } from '../../control/pki/layout.js';
import { freePort, repoRoot, stopServer, waitFor, type TestServer } from './server.js';

export type KubeFetch = (path: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

/** fetch against the kubeconfig's server with its CA, client certificate and token. */
export function fetchFor(creds: ClientCredentials): KubeFetch {
  const dispatcher = new Agent({ connect: { ca: creds.ca, cert: creds.cert, key: creds.key } });
  return (path, init = {}) => undiciFetch(creds.server + path, {
    ...init, dispatcher, headers: { ...(creds.token ? { authorization: `Bearer ${creds.token}` } : {}), ...init.headers },
  } as never) as unknown as Promise<Response>;
}

export const fetchFromKubeconfig = (file: string): KubeFetch => fetchFor(loadKubeconfig(file));
export const clientFromKubeconfig = (file: string): ApiClient => ApiClient.fromKubeconfig(file, 'tskube-test');

export interface SecureServer extends TestServer { pki: PkiFiles; admin: string; auditLog: string }

/** A `tskube server` with every security flag on, its PKI in its data dir (nodes n1, n2). */
export async function startSecureServer(extraArgs: string[] = [], nodes = ['n1', 'n2']): Promise<SecureServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tskube-sec-'));
  const url = `https://127.0.0.1:${port}`;
  const pki = await initPki({ dir: join(dir, 'pki'), server: url, masterIps: ['127.0.0.1'], nodes: nodes.map((name, i) => ({ name, ip: `127.0.0.${i + 2}` })) });
  writeFileSync(join(dir, 'tokens.csv'), 'bob-secret-token,bob,1001,"dev,qa"\n');
  const auditLog = join(dir, 'audit.log');
  const proc = spawn(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), 'server', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data'), '--disable', 'dns',
    '--tls-cert-file', pki.apiserverCert, '--tls-private-key-file', pki.apiserverKey, '--client-ca-file', pki.ca,
    '--token-auth-file', join(dir, 'tokens.csv'), '--service-account-signing-key-file', pki.saKey, '--service-account-key-file', pki.saPub,
    '--authorization-mode', 'Node,RBAC', '--anonymous-auth', 'false', '--encryption-provider-config', pki.encryptionConfig,
    '--audit-log-path', auditLog, ...extraArgs],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'warn' } });
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += d; });
  const admin = pki.kubeconfig('admin');
  const f = fetchFromKubeconfig(admin);
  await waitFor(`secure API server at ${url} (${stderr.slice(-300)})`, async () => proc.exitCode === null && (await f('/readyz')).ok, 20_000);
  return {
    url, kubeconfig: admin, admin, dir, proc, pki, auditLog,
    stop: () => stopServer(proc, dir),
  };
}
