// Security against a real `tskube server` on HTTPS with client certificates, a static token
// file, service-account JWTs, RBAC + the Node authorizer, aesgcm secrets and an audit log —
// driven by the real kubectl and raw HTTPS requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { kubectl, waitFor } from '../helpers/server.js';
import { fetchFor, fetchFromKubeconfig, startSecureServer, type SecureServer } from '../helpers/tls.js';
import { createCA, issue } from '../../control/pki/certs.js';
import { kubeconfigYaml } from '../../control/pki/kubeconfig.js';
import { TokenSigner } from '../../control/api/auth/serviceaccount-token.js';

let srv: SecureServer;
const ca = () => ({ cert: readFileSync(srv.pki.ca, 'utf8'), key: readFileSync(srv.pki.caKey, 'utf8') });
const asAdmin = (...args: string[]) => kubectl(srv.admin, args);
const apply = async (yaml: string) => { const r = await kubectl(srv.admin, ['apply', '-f', '-'], yaml); assert.equal(r.code, 0, r.stderr); };

/** A kubeconfig for a certificate user signed by `signer` (the cluster CA unless given). */
async function userKubeconfig(cn: string, o: string[] = [], signer = ca(), extra: { notAfter?: Date; notBefore?: Date } = {}): Promise<string> {
  const kp = await issue(signer, { cn, o, usage: 'client', ...extra });
  const file = join(srv.dir, 'users', `${cn.replace(/:/g, '_')}-${Math.random().toString(36).slice(2, 6)}.kubeconfig`);
  mkdirSync(join(srv.dir, 'users'), { recursive: true });
  writeFileSync(file, kubeconfigYaml({ server: srv.url, caPem: ca().cert, user: cn, certPem: kp.cert, keyPem: kp.key }));
  return file;
}
const tokenFetch = (token: string) => fetchFor({ server: srv.url, ca: ca().cert, token });

// Audit levels by resource: configmaps RequestResponse, serviceaccounts Request, the rest Metadata.
const policyDir = mkdtempSync(join(tmpdir(), 'tskube-audit-'));
const policyFile = join(policyDir, 'audit-policy.yaml');
writeFileSync(policyFile, `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
- level: Request
  resources: [{group: "", resources: ["serviceaccounts"]}]
- level: Metadata
`);
before(async () => { srv = await startSecureServer(['--audit-policy-file', policyFile]); });
after(async () => { await srv?.stop(); rmSync(policyDir, { recursive: true, force: true }); });

test('no credentials → 401 Status; the admin kubeconfig (CA + admin cert) works', async () => {
  const anon = fetchFor({ server: srv.url, ca: ca().cert });
  const res = await anon('/api/v1/namespaces/default/pods');
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  const who = await asAdmin('auth', 'whoami', '-o', 'json');
  assert.equal(who.code, 0, who.stderr);
  assert.equal(JSON.parse(who.stdout).status.userInfo.username, 'admin');
});

test('a certificate user bound to view lists pods but cannot delete them (upstream 403 message); can-i and whoami are truthful', async () => {
  await apply('apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: default}\nspec: {containers: [{name: c, image: nginx}]}\n');
  const jane = await userKubeconfig('jane', ['devs']);
  const denied = await kubectl(jane, ['get', 'pods']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"/);
  const rb = await asAdmin('create', 'rolebinding', 'jane-view', '--clusterrole', 'view', '--user', 'jane', '-n', 'default');
  assert.equal(rb.code, 0, rb.stderr);
  await waitFor('jane can list pods', async () => (await kubectl(jane, ['get', 'pods', '-o', 'name'])).stdout.includes('pod/x'), 10_000);
  const del = await kubectl(jane, ['delete', 'pod', 'x', '--wait=false']);
  assert.notEqual(del.code, 0);
  assert.match(del.stderr, /pods "x" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"/);
  const raw = await fetchFromKubeconfig(jane)('/api/v1/namespaces/default/pods/x', { method: 'DELETE' });
  assert.equal(raw.status, 403);
  assert.equal(((await raw.json()) as { message: string }).message, 'pods "x" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"');
  assert.equal((await kubectl(jane, ['auth', 'can-i', 'list', 'pods'])).stdout.trim(), 'yes');
  assert.equal((await kubectl(jane, ['auth', 'can-i', 'delete', 'pods'])).stdout.trim(), 'no');
  assert.equal((await kubectl(jane, ['auth', 'can-i', 'get', 'secrets'])).stdout.trim(), 'no');
  assert.equal((await kubectl(jane, ['auth', 'can-i', 'list', 'pods', '-n', 'kube-system'])).stdout.trim(), 'no');
  const who = JSON.parse((await kubectl(jane, ['auth', 'whoami', '-o', 'json'])).stdout);
  assert.deepEqual(who.status.userInfo, { username: 'jane', groups: ['devs', 'system:authenticated'] });
  // The admin asks on jane's behalf with a SubjectAccessReview (and with --as: the next test).
  const sar = await fetchFromKubeconfig(srv.admin)('/apis/authorization.k8s.io/v1/subjectaccessreviews', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'jane', resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } } }) });
  const sarBody = (await sar.json()) as { status: { allowed: boolean; reason: string } };
  assert.equal(sarBody.status.allowed, true);
  assert.match(sarBody.status.reason, /RoleBinding "jane-view\/default" of ClusterRole "view" to User "jane"/);
});

test('impersonation: the admin acts as jane (--as) with exactly her rights; jane may not impersonate; the audit log names both', async () => {
  assert.equal((await asAdmin('auth', 'can-i', 'list', 'pods', '--as', 'jane')).stdout.trim(), 'yes');
  assert.equal((await asAdmin('auth', 'can-i', 'delete', 'pods', '--as', 'jane')).stdout.trim(), 'no');
  const denied = await asAdmin('delete', 'pod', 'x', '--as', 'jane', '--wait=false');
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /pods "x" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"/);
  const who = JSON.parse((await asAdmin('auth', 'whoami', '-o', 'json', '--as', 'sam', '--as-group', 'ops')).stdout);
  assert.deepEqual(who.status.userInfo, { username: 'sam', groups: ['ops', 'system:authenticated'] });
  // A service account's groups follow from its name.
  const sa = JSON.parse((await asAdmin('auth', 'whoami', '-o', 'json', '--as', 'system:serviceaccount:default:default')).stdout);
  assert.deepEqual(sa.status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  // jane (view in default) may not impersonate anyone.
  const jane = await userKubeconfig('jane', ['devs']);
  const esc = await kubectl(jane, ['get', 'pods', '--as', 'admin']);
  assert.notEqual(esc.code, 0);
  assert.match(esc.stderr, /users "admin" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope/);
  const groupsOnly = await fetchFromKubeconfig(srv.admin)('/api/v1/namespaces/default/pods', { headers: { 'Impersonate-Group': 'ops' } });
  assert.equal(groupsOnly.status, 400);
  // Audited as upstream: user is who authenticated, impersonatedUser whom they acted as.
  await waitFor('the impersonated delete audited', () => readFileSync(srv.auditLog, 'utf8').includes('"impersonatedUser"'), 5000);
  const ev = readFileSync(srv.auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .find((e) => e.impersonatedUser?.username === 'jane' && e.verb === 'delete');
  assert.ok(ev, 'the delete as jane is audited');
  assert.equal(ev.user.username, 'admin');
  assert.equal(ev.responseStatus.code, 403);
});

test('a bound service-account token works for what its Role allows and nothing more, and dies with its pod', async () => {
  await apply(`apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: default}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: robot-reads-pods, namespace: default}
subjects: [{kind: ServiceAccount, name: robot}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
---
apiVersion: v1
kind: Pod
metadata: {name: robot-pod, namespace: default}
spec: {serviceAccountName: robot, containers: [{name: c, image: busybox}]}
`);
  const tok = await asAdmin('create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'robot-pod', '--duration', '1h');
  assert.equal(tok.code, 0, tok.stderr);
  const f = tokenFetch(tok.stdout.trim());
  await waitFor('the token lists pods', async () => (await f('/api/v1/namespaces/default/pods')).status === 200, 10_000);
  assert.equal((await f('/api/v1/namespaces/default/secrets')).status, 403);
  assert.equal((await f('/api/v1/namespaces/default/pods/robot-pod', { method: 'DELETE' })).status, 403);
  assert.equal((await f('/api/v1/namespaces/kube-system/pods')).status, 403);
  const review = await fetchFromKubeconfig(srv.admin)('/apis/authentication.k8s.io/v1/tokenreviews', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: tok.stdout.trim() } }) });
  const rv = (await review.json()) as { status: { authenticated: boolean; user: { username: string; extra: Record<string, string[]> } } };
  assert.equal(rv.status.authenticated, true);
  assert.equal(rv.status.user.username, 'system:serviceaccount:default:robot');
  assert.deepEqual(rv.status.user.extra['authentication.kubernetes.io/pod-name'], ['robot-pod']);
  assert.equal((await asAdmin('delete', 'pod', 'robot-pod', '--grace-period=0', '--wait=true')).code, 0);
  assert.equal((await f('/api/v1/namespaces/default/pods')).status, 401, 'a token bound to a deleted pod is dead');
});

test('expired, wrongly signed, malformed tokens and foreign or expired certificates → 401', async () => {
  const sa = JSON.parse((await asAdmin('get', 'sa', 'robot', '-o', 'json')).stdout);
  const signer = TokenSigner.fromFile(srv.pki.saKey);
  const claims = { namespace: 'default', sa: { name: 'robot', uid: sa.metadata.uid }, audiences: ['https://kubernetes.default.svc.cluster.local'], seconds: 600 };
  const good = signer.issue(claims).token;
  assert.equal((await tokenFetch(good)('/api/v1/namespaces/default/pods')).status, 200);
  const expired = signer.issue({ ...claims, now: Date.now() - 3600_000 }).token;
  assert.equal((await tokenFetch(expired)('/api/v1/namespaces/default/pods')).status, 401);
  const other = new TokenSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  assert.equal((await tokenFetch(other.issue(claims).token)('/api/v1/namespaces/default/pods')).status, 401);
  const [h, , s] = good.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
  assert.equal((await tokenFetch(forged)('/api/v1/namespaces/default/pods')).status, 401);
  for (const junk of ['not-a-token', 'a.b.c', '']) assert.equal((await tokenFetch(junk)('/api/v1/namespaces/default/pods')).status, 401, junk);
  assert.equal((await tokenFetch('bob-secret-token')('/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' })).status, 201);
  const foreign = await userKubeconfig('admin', ['system:masters'], await createCA('evil'));
  assert.notEqual((await kubectl(foreign, ['get', 'pods'])).code, 0);
  assert.equal((await fetchFromKubeconfig(foreign)('/api/v1/namespaces/default/pods')).status, 401);
  const old = await userKubeconfig('jane', [], ca(), { notBefore: new Date(Date.now() - 2 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
  assert.equal((await fetchFromKubeconfig(old)('/api/v1/namespaces/default/pods')).status, 401);
});

test("a kubelet's certificate reads only the secrets of pods on its node (Node authorizer)", async () => {
  await asAdmin('create', 'secret', 'generic', 'db-pass', '--from-literal=password=hunter2');
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: uses-secret, namespace: default}
spec:
  nodeName: n1
  containers: [{name: c, image: busybox, env: [{name: P, valueFrom: {secretKeyRef: {name: db-pass, key: password}}}]}]
`);
  const n1 = fetchFromKubeconfig(srv.pki.kubeconfig('kubelet-n1'));
  const n2 = fetchFromKubeconfig(srv.pki.kubeconfig('kubelet-n2'));
  const got = await n1('/api/v1/namespaces/default/secrets/db-pass');
  assert.equal(got.status, 200);
  assert.equal(Buffer.from(((await got.json()) as { data: { password: string } }).data.password, 'base64').toString(), 'hunter2');
  const no = await n2('/api/v1/namespaces/default/secrets/db-pass');
  assert.equal(no.status, 403);
  assert.match(((await no.json()) as { message: string }).message, /secrets "db-pass" is forbidden: User "system:node:n2" cannot get resource "secrets" .*no relationship found between node 'n2' and this object/);
  assert.equal((await n1('/api/v1/namespaces/default/secrets')).status, 403, 'no node may list secrets');
  assert.equal((await n2('/api/v1/nodes/n1', { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{}' })).status, 403);
  assert.equal((await n1('/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1')).status, 200);
});

test('secrets are aesgcm ciphertext in the store, plain through the API', async () => {
  const db = new Database(join(srv.dir, 'data', 'state.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT value FROM kv WHERE key = ? ORDER BY rev DESC LIMIT 1').get('/registry/secrets/default/db-pass') as { value: string | Buffer };
    const stored = String(row.value);
    assert.ok(stored.startsWith('k8s:enc:aesgcm:v1:key1:'), stored.slice(0, 40));
    assert.ok(!stored.includes('hunter2') && !stored.includes(Buffer.from('hunter2').toString('base64')) && !stored.includes('db-pass"'));
    const cm = db.prepare('SELECT value FROM kv WHERE key LIKE ? LIMIT 1').get('/registry/clusterroles/%') as { value: string };
    assert.ok(String(cm.value).startsWith('{'), 'other resources stay plain JSON');
  } finally { db.close(); }
  const r = await asAdmin('get', 'secret', 'db-pass', '-o', 'jsonpath={.data.password}');
  assert.equal(Buffer.from(r.stdout, 'base64').toString(), 'hunter2');
});

test('malformed RBAC objects are refused with a clear message; bindings to missing roles grant nothing', async () => {
  const badVerb = await kubectl(srv.admin, ['apply', '-f', '-'], 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: bad, namespace: default}\nrules: [{apiGroups: [""], resources: [pods], verbs: [frobnicate]}]\n');
  assert.notEqual(badVerb.code, 0);
  assert.match(badVerb.stderr, /rules\[0\]\.verbs\[0\]: Unsupported value: "frobnicate"/);
  const noTarget = await kubectl(srv.admin, ['apply', '-f', '-'], 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: bad2}\nrules: [{verbs: [get]}]\n');
  assert.match(noTarget.stderr, /rules\[0\]\.resources: Required value/);
  const wrongRef = await kubectl(srv.admin, ['apply', '-f', '-'], 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: bad3}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: x}\nsubjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]\n');
  assert.match(wrongRef.stderr, /roleRef\.kind: Unsupported value: "Role"/);
  const dangling = await asAdmin('create', 'clusterrolebinding', 'eve-ghost', '--clusterrole', 'no-such-role', '--user', 'eve');
  assert.equal(dangling.code, 0, dangling.stderr);
  const eve = await userKubeconfig('eve');
  assert.equal((await kubectl(eve, ['auth', 'can-i', 'get', 'pods'])).stdout.trim(), 'no');
  const change = await kubectl(srv.admin, ['patch', 'clusterrolebinding', 'eve-ghost', '--type=merge', '-p', '{"roleRef":{"name":"cluster-admin"}}']);
  assert.match(change.stderr, /cannot change roleRef/);
});

test('the audit log records who did what, with the decision', async () => {
  await waitFor('audit lines for jane', () => readFileSync(srv.auditLog, 'utf8').includes('"username":"jane"'), 5000);
  const events = readFileSync(srv.auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const del = events.find((e) => e.user.username === 'jane' && e.verb === 'delete' && e.objectRef?.name === 'x');
  assert.ok(del, 'jane\'s delete is audited');
  assert.equal(del.responseStatus.code, 403);
  assert.equal(del.annotations['authorization.k8s.io/decision'], 'forbid');
  assert.equal(del.apiVersion, 'audit.k8s.io/v1');
  assert.ok(events.every((e) => e.kind === 'Event' && e.stage === 'ResponseComplete'));
  assert.equal(del.level, 'Metadata');
  assert.ok(!('requestObject' in del) && !('responseObject' in del), 'Metadata: no objects');
});

test('audit levels: Metadata has no objects, Request adds requestObject, RequestResponse adds responseObject', async () => {
  const admin = fetchFromKubeconfig(srv.admin);
  // Each request names itself in its User-Agent, so its audit event is easy to find.
  const post = (resource: string, body: object) => admin(`/api/v1/namespaces/default/${resource}`,
    { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': `audit-test-${resource}` }, body: JSON.stringify(body) });
  const cm = await post('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'audited' }, data: { k: 'v' } });
  assert.equal(cm.status, 201);
  const created = (await cm.json()) as { metadata: { uid: string } };
  assert.equal((await post('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'audited' } })).status, 201);
  assert.equal((await post('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'audited' }, spec: { ports: [{ port: 80 }] } })).status, 201);
  const find = async (resource: string) => waitFor(`the audit event for creating ${resource}/audited`, () => readFileSync(srv.auditLog, 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l)).find((e) => e.userAgent === `audit-test-${resource}`), 5000);
  const rr = await find('configmaps');
  assert.equal(rr.level, 'RequestResponse');
  assert.deepEqual(rr.requestObject, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'audited' }, data: { k: 'v' } });
  assert.equal(rr.responseObject.kind, 'ConfigMap');
  assert.equal(rr.responseObject.metadata.uid, created.metadata.uid, 'the response as the client got it');
  const req = await find('serviceaccounts');
  assert.equal(req.level, 'Request');
  assert.equal(req.requestObject.metadata.name, 'audited');
  assert.ok(!('responseObject' in req), 'Request: no responseObject');
  const meta = await find('services');
  assert.equal(meta.level, 'Metadata');
  assert.ok(!('requestObject' in meta) && !('responseObject' in meta), 'Metadata: no objects');
});

test('an admin kubeconfig copied elsewhere works; a tampered one does not', async () => {
  const copy = join(srv.dir, 'copied', 'config');
  mkdirSync(join(srv.dir, 'copied'), { recursive: true });
  writeFileSync(copy, readFileSync(srv.admin));
  assert.equal((await kubectl(copy, ['get', 'ns', 'default', '-o', 'name'])).stdout.trim(), 'namespace/default');
  // Swap the admin's certificate for one with the same name and groups but its own key pair,
  // signed by a CA of the same name: not signed by the cluster CA → refused.
  const fake = await issue(await createCA('kubernetes'), { cn: 'admin', o: ['system:masters'], usage: 'client' });
  const text = readFileSync(srv.admin, 'utf8')
    .replace(/client-certificate-data: \S+/, `client-certificate-data: ${Buffer.from(fake.cert).toString('base64')}`)
    .replace(/client-key-data: \S+/, `client-key-data: ${Buffer.from(fake.key).toString('base64')}`);
  writeFileSync(copy, text);
  const r = await kubectl(copy, ['get', 'ns', 'default']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Unauthorized|must be logged in/);
});

test('with anonymous auth on, system:anonymous reads /version and /healthz (system:public-info-viewer) and nothing else', async () => {
  const open = await startSecureServer(['--anonymous-auth', 'true']);
  try {
    const anon = fetchFor({ server: open.url, ca: readFileSync(open.pki.ca, 'utf8') });
    const version = await anon('/version');
    assert.equal(version.status, 200, await version.clone().text());
    assert.ok(((await version.json()) as { gitVersion?: string }).gitVersion, '/version answers a version');
    const health = await anon('/healthz');
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');
    const pods = await anon('/api/v1/namespaces/default/pods');
    assert.equal(pods.status, 403);
    const st = (await pods.json()) as { kind: string; reason: string; message: string };
    assert.equal(st.kind, 'Status');
    assert.equal(st.reason, 'Forbidden');
    assert.equal(st.message, 'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"');
    // A wrong credential is still a 401, never a fall-through to anonymous.
    assert.equal((await fetchFor({ server: open.url, ca: readFileSync(open.pki.ca, 'utf8'), token: 'not-a-token' })('/version')).status, 401);
  } finally {
    await open.stop();
  }
});
