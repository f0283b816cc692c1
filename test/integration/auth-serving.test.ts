// The scheduler's and controller manager's own endpoints on a secure cluster, as upstream
// serves :10259 / :10257: HTTPS, /healthz always allowed, /metrics only for a caller the API
// server authorizes (client certificate or TokenReview'd token, then SubjectAccessReview).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { freePort, kubectl, repoRoot, waitFor } from '../helpers/server.js';
import { startSecureServer, type SecureServer } from '../helpers/tls.js';
import { issue } from '../../control/pki/certs.js';

let srv: SecureServer;
const procs: ChildProcess[] = [];
const ports: Record<string, number> = {};

/** GET https://127.0.0.1:<port><path> verifying the serving certificate against the cluster CA. */
async function get(port: number, path: string, who: { cert?: string; key?: string; token?: string } = {}): Promise<{ status: number; body: string }> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(srv.pki.ca, 'utf8'), cert: who.cert, key: who.key } });
  const res = await undiciFetch(`https://127.0.0.1:${port}${path}`, { dispatcher, headers: who.token ? { authorization: `Bearer ${who.token}` } : {} });
  return { status: res.status, body: await res.text() };
}

async function user(cn: string, o: string[] = []) {
  return issue({ cert: readFileSync(srv.pki.ca, 'utf8'), key: readFileSync(srv.pki.caKey, 'utf8') }, { cn, o, usage: 'client' });
}

before(async () => {
  srv = await startSecureServer(['--disable', 'dns,scheduler,controllers']);
  for (const [cmd, stem] of [['scheduler', 'kube-scheduler'], ['controller-manager', 'kube-controller-manager']] as const) {
    ports[cmd] = await freePort();
    const p = spawn(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), cmd, '--kubeconfig', srv.pki.kubeconfig(stem), '--leader-elect=false',
      '--secure-port', String(ports[cmd]), '--tls-cert-file', join(srv.pki.dir, `${stem}.crt`), '--tls-private-key-file', join(srv.pki.dir, `${stem}.key`),
      '--client-ca-file', srv.pki.ca], { stdio: 'ignore', env: { ...process.env, TSKUBE_LOG_LEVEL: 'warn' } });
    procs.push(p);
    await waitFor(`${cmd} serving /healthz`, async () => p.exitCode === null && (await get(ports[cmd]!, '/healthz').catch(() => undefined))?.status === 200, 20_000);
  }
});
after(async () => {
  for (const p of procs) p.kill();
  await srv?.stop();
});

test('/healthz, /readyz, /livez answer anyone over HTTPS with a certificate the cluster CA signed; plain HTTP is not served', async () => {
  for (const port of Object.values(ports)) {
    for (const path of ['/healthz', '/readyz', '/livez']) assert.deepEqual(await get(port, path), { status: 200, body: 'ok' });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) }));
  }
});

test('/metrics: anonymous and unprivileged callers get 403; system:monitoring, a bound token user and the admin get metrics; a bad token 401', async () => {
  const jane = await user('jane');
  const prom = await user('prometheus', ['system:monitoring']);
  const admin = await user('root', ['system:masters']);
  for (const [cmd, port] of Object.entries(ports)) {
    const anon = await get(port, '/metrics');
    assert.equal(anon.status, 403, cmd);
    assert.equal(JSON.parse(anon.body).message, 'forbidden: User "system:anonymous" cannot get path "/metrics"');
    const j = await get(port, '/metrics', jane);
    assert.equal(j.status, 403);
    assert.equal(JSON.parse(j.body).message, 'forbidden: User "jane" cannot get path "/metrics"');
    for (const who of [prom, admin]) {
      const ok = await get(port, '/metrics', who);
      assert.equal(ok.status, 200, `${cmd}: ${ok.body}`);
      assert.match(ok.body, /leader_election_master_status/);
    }
    assert.equal((await get(port, '/metrics', { token: 'not-a-token' })).status, 401);
  }
  assert.equal((await get(ports.scheduler!, '/metrics', { token: 'bob-secret-token' })).status, 403);
  // bob (static token) gets in once bound to system:monitoring: TokenReview, then SubjectAccessReview.
  const rb = await kubectl(srv.admin, ['create', 'clusterrolebinding', 'bob-monitoring', '--clusterrole', 'system:monitoring', '--user', 'bob']);
  assert.equal(rb.code, 0, rb.stderr);
  // (A denial is cached for up to 30 s, as upstream's webhook cache: ask the component that has not seen bob.)
  const cm = await waitFor('bob reads metrics', async () => { const r = await get(ports['controller-manager']!, '/metrics', { token: 'bob-secret-token' }); return r.status === 200 && r; }, 10_000);
  assert.match(cm.body, /workqueue_depth|leader_election_master_status/);
});
