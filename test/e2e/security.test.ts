// The secure lab (issue 7) end to end: a pod's projected service-account token (bound to the
// pod, beside the cluster CA and its namespace) works from inside the pod for what its Role
// allows and nothing more, and stops working once the pod is gone; the kubelet API refuses
// anonymous callers; the scheduler's and controller manager's endpoints are HTTPS with
// delegated authorization; NodeRestriction keeps a kubelet to its own Node; the admin
// kubeconfig works from another lab machine, a tampered copy does not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { kubectl, repoRoot, waitFor } from '../helpers/server.js';
import { loadKubeconfig } from '../../control/client/kubeconfig.js';
import { fetchFromKubeconfig } from '../helpers/tls.js';
import { createCA, issue } from '../../control/pki/certs.js';

const tskube = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const k = async (args: string[], input?: string) => {
  const r = await kubectl(kubeconfig, args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

before(() => {
  assert.equal(tskube('lab', 'down').status, 0);
  const up = tskube('lab', 'up');
  assert.equal(up.status, 0, up.stdout + up.stderr);
});
after(() => { tskube('lab', 'down'); });

const manifest = `apiVersion: v1
kind: ServiceAccount
metadata: {name: reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-reads-pods}
subjects: [{kind: ServiceAccount, name: reader, namespace: default}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  serviceAccountName: reader
  containers: [{name: sh, image: curl, command: [sleep, '3600']}]
`;

test("a pod's projected token: its Role's verbs only, bound to the pod's life", async () => {
  await waitFor('3 Ready nodes', async () => (await k(['get', 'nodes', '--no-headers'])).split('\n').filter((l) => / Ready /.test(l)).length === 3, 60_000);
  assert.equal((await kubectl(kubeconfig, ['get', 'pods'])).code, 0);
  await k(['apply', '-f', '-'], manifest);
  await waitFor('client pod Running', async () => / Running /.test(await k(['get', 'pod', 'client', '--no-headers'])), 90_000, 250);
  const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
  const token = (await k(['exec', 'client', '--', 'cat', `${dir}/token`])).trim();
  assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
  assert.equal((await k(['exec', 'client', '--', 'cat', `${dir}/namespace`])).trim(), 'default');
  assert.match(await k(['exec', 'client', '--', 'cat', `${dir}/ca.crt`]), /BEGIN CERTIFICATE/);

  // From inside the pod, the way in-cluster clients do it: the kubernetes Service, the
  // projected CA, and the token as a bearer.
  const inPod = async (method: string, path: string) => (await k(['exec', 'client', '--', 'sh', '-c',
    `curl -s -o /dev/null -w '%{http_code}' -X ${method} --cacert ${dir}/ca.crt -H "Authorization: Bearer $(cat ${dir}/token)" https://kubernetes.default.svc${path}`])).trim();
  assert.equal(await inPod('GET', '/api/v1/namespaces/default/pods'), '200', 'in the pod: list pods allowed by its Role');
  assert.equal(await inPod('GET', '/api/v1/namespaces/default/secrets'), '403', 'in the pod: secrets refused');
  assert.equal(await inPod('DELETE', '/api/v1/namespaces/default/pods/client'), '403', 'in the pod: delete refused');

  const creds = loadKubeconfig(kubeconfig);
  const dispatcher = new Agent({ connect: { ca: creds.ca } });
  const asPod = (path: string, method = 'GET') => undiciFetch(creds.server + path, { method, dispatcher, headers: { authorization: `Bearer ${token}` } });
  assert.equal((await asPod('/api/v1/namespaces/default/pods')).status, 200, 'list pods: allowed by its Role');
  const del = await asPod('/api/v1/namespaces/default/pods/client', 'DELETE');
  assert.equal(del.status, 403);
  assert.match(((await del.json()) as { message: string }).message, /User "system:serviceaccount:default:reader" cannot delete resource "pods"/);
  assert.equal((await asPod('/api/v1/namespaces/default/secrets')).status, 403, 'secrets: not in its Role');
  await k(['delete', 'pod', 'client', '--grace-period=0', '--force']);
  await waitFor('the token dies with its pod', async () => (await asPod('/api/v1/namespaces/default/pods')).status === 401, 30_000, 250);
});

test('the kubelet API refuses callers without credentials', () => {
  const r = tskube('lab', 'exec', 'master', '--', 'curl', '-sk', '-o', '/dev/null', '-w', '%{http_code}', 'https://192.168.56.11:10250/pods');
  assert.equal(r.stdout.trim(), '401');
});

test('the scheduler and controller manager serve HTTPS: /healthz to anyone, /metrics only to the authorized; kubectl get cs is Healthy', async () => {
  const cs = await waitFor('components healthy', async () => {
    const r = await kubectl(kubeconfig, ['get', 'cs', '--no-headers']);
    return /^scheduler\s+Healthy/m.test(r.stdout) && /^controller-manager\s+Healthy/m.test(r.stdout) && r.stdout;
  }, 30_000, 500);
  assert.match(cs, /^sqlite-0\s+Healthy/m);
  const pki = join(repoRoot, '.lab/pki');
  const curl = (...args: string[]) => tskube('lab', 'exec', 'master', '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(pki, 'ca.crt'), ...args).stdout.trim();
  for (const port of [10259, 10257]) {
    assert.equal(curl(`https://127.0.0.1:${port}/healthz`), '200', `${port}: /healthz, certificate verified against the cluster CA`);
    assert.equal(curl(`https://127.0.0.1:${port}/metrics`), '403', `${port}: anonymous /metrics`);
    assert.equal(curl('--cert', join(pki, 'admin.crt'), '--key', join(pki, 'admin.key'), `https://127.0.0.1:${port}/metrics`), '200', `${port}: the admin's /metrics`);
    assert.notEqual(curl(`http://127.0.0.1:${port}/healthz`), '200', `${port}: no plain HTTP`);
  }
});

test("NodeRestriction: a kubelet's certificate patches its own Node status, not another's, and cannot claim a node-role", async () => {
  const worker1 = fetchFromKubeconfig(join(repoRoot, '.lab/pki/kubelet-worker-1.kubeconfig'));
  const patch = (path: string, body: unknown) => worker1(path, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify(body) });
  const cond = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString() }] } };
  assert.equal((await patch('/api/v1/nodes/worker-1/status', cond)).status, 200);
  assert.equal((await patch('/api/v1/nodes/worker-2/status', cond)).status, 403);
  const role = await patch('/api/v1/nodes/worker-1', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } });
  assert.equal(role.status, 403);
  assert.match(((await role.json()) as { message: string }).message, /is not allowed to modify labels: node-role\.kubernetes\.io\/control-plane/);
  assert.match(await k(['get', 'node', 'master', '--show-labels', '--no-headers']), /node-role\.kubernetes\.io\/control-plane=/, 'the admin labelled the master');
});

test('the admin kubeconfig copied to another lab machine works there; a tampered copy is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-kubeconfig-'));
  try {
    const copy = join(dir, 'config');
    writeFileSync(copy, readFileSync(kubeconfig));
    const onWorker = (...args: string[]) => tskube('lab', 'exec', 'worker-2', '--', 'kubectl', '--kubeconfig', copy, ...args);
    const ok = onWorker('get', 'ns', 'default', '-o', 'name');
    assert.equal(ok.stdout.trim(), 'namespace/default', ok.stderr);
    // Same names, own key pair, signed by a look-alike CA: not the cluster's → 401.
    const fake = await issue(await createCA('kubernetes'), { cn: 'admin', o: ['system:masters'], usage: 'client' });
    writeFileSync(copy, readFileSync(kubeconfig, 'utf8')
      .replace(/client-certificate-data: \S+/, `client-certificate-data: ${Buffer.from(fake.cert).toString('base64')}`)
      .replace(/client-key-data: \S+/, `client-key-data: ${Buffer.from(fake.key).toString('base64')}`));
    const bad = onWorker('get', 'ns', 'default');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /Unauthorized|must be logged in/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
