// The kubelet API (:10250) closed: its HTTPS server with the node's serving certificate, checked
// against a real secure API server through TokenReview and SubjectAccessReview. No credentials
// → 401; the API server's kubelet-client certificate → 200; a user without nodes/proxy → 403.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import client from 'prom-client';
import { freePort, kubectl, waitFor } from '../helpers/server.js';
import { fetchFor, startSecureServer, type SecureServer } from '../helpers/tls.js';
import { startKubeletServer } from '../../agent/kubelet/server/server.js';
import { configureKubeletAuth } from '../../agent/kubelet/server/auth.js';
import { ApiClient } from '../../control/client/api-client.js';
import { issue } from '../../control/pki/certs.js';
import { logger } from '../../control/client/log.js';

let srv: SecureServer;
let kubelet: Server;
let url: string;
const pem = (f: string) => readFileSync(f, 'utf8');

before(async () => {
  srv = await startSecureServer();
  const port = await freePort();
  url = `https://127.0.0.2:${port}`; // n1's serving certificate names 127.0.0.2
  configureKubeletAuth({
    nodeName: 'n1', client: ApiClient.fromKubeconfig(srv.pki.kubeconfig('kubelet-n1')), anonymous: false,
    tlsCertFile: srv.pki.kubeletCert('n1'), tlsKeyFile: srv.pki.kubeletKey('n1'), clientCAFile: srv.pki.ca,
  });
  const registry = new client.Registry();
  kubelet = await startKubeletServer(port, '127.0.0.2', { metrics: { registry } as never, pods: () => [], pod: () => undefined, healthy: () => true, log: logger('kubelet-test') });
});
after(async () => {
  configureKubeletAuth(undefined);
  kubelet?.close();
  await srv?.stop();
});

// The kubelet server runs in this process: curl must not block the event loop.
const curl = async (...args: string[]) => { try { return (await promisify(execFile)('curl', args, { encoding: 'utf8' })).stdout; } catch (e) { return String((e as { stdout?: string }).stdout ?? ''); } };

test('curl to :10250 without credentials → 401; plain HTTP is not served', async () => {
  assert.equal(await curl('-sk', '-o', '/dev/null', '-w', '%{http_code}', `${url}/pods`), '401');
  assert.equal(await curl('-sk', `${url}/metrics`), 'Unauthorized');
  assert.notEqual(await curl('-s', '-o', '/dev/null', '-w', '%{http_code}', url.replace('https', 'http') + '/pods'), '200');
});

test("the API server's kubelet-client certificate is let in; the serving certificate verifies against the cluster CA", async () => {
  const f = fetchFor({ server: url, ca: pem(srv.pki.ca), cert: pem(srv.pki.kubeletClientCert), key: pem(srv.pki.kubeletClientKey) });
  const res = await f('/pods');
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { kind: string }).kind, 'PodList');
});

test('a user or token without nodes/* permission gets 403; a binding to system:kubelet-api-admin lets it in', async () => {
  const ca = { cert: pem(srv.pki.ca), key: pem(srv.pki.caKey) };
  const jane = await issue(ca, { cn: 'kube-jane', usage: 'client' });
  const f = fetchFor({ server: url, ca: ca.cert, cert: jane.cert, key: jane.key });
  assert.equal((await f('/pods')).status, 403);
  assert.equal((await fetchFor({ server: url, ca: ca.cert, token: 'not-a-valid-token' })('/pods')).status, 401);
  const n2 = fetchFor({ server: url, ca: ca.cert, cert: pem(srv.pki.kubeletCert('n2')), key: pem(srv.pki.kubeletKey('n2')) });
  assert.equal((await n2('/pods')).status, 403, 'another node may not read this kubelet');
  assert.equal((await kubectl(srv.admin, ['create', 'clusterrolebinding', 'bob-kubelet', '--clusterrole', 'system:kubelet-api-admin', '--user', 'bob'])).code, 0);
  const bob = fetchFor({ server: url, ca: ca.cert, token: 'bob-secret-token' });
  await waitFor('bob let in once the binding is seen', async () => (await bob('/healthz')).status === 200, 10_000);
});
