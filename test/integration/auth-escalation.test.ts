// What a user or a node may grant or change beyond what it may touch, against a real secure
// `tskube server`: RBAC privilege-escalation prevention (escalate / bind) with upstream's 403,
// and the NodeRestriction admission plugin with the kubelet certificates of nodes n1 and n2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, waitFor } from '../helpers/server.js';
import { fetchFromKubeconfig, startSecureServer, type KubeFetch, type SecureServer } from '../helpers/tls.js';
import { issue } from '../../control/pki/certs.js';
import { kubeconfigYaml } from '../../control/pki/kubeconfig.js';

let srv: SecureServer;
const asAdmin = (...args: string[]) => kubectl(srv.admin, args);
const apply = async (kc: string, yaml: string) => kubectl(kc, ['apply', '-f', '-'], yaml);

async function userKubeconfig(cn: string): Promise<string> {
  const ca = { cert: readFileSync(srv.pki.ca, 'utf8'), key: readFileSync(srv.pki.caKey, 'utf8') };
  const kp = await issue(ca, { cn, usage: 'client' });
  mkdirSync(join(srv.dir, 'users'), { recursive: true });
  const file = join(srv.dir, 'users', `${cn}.kubeconfig`);
  writeFileSync(file, kubeconfigYaml({ server: srv.url, caPem: ca.cert, user: cn, certPem: kp.cert, keyPem: kp.key }));
  return file;
}

const send = async (f: KubeFetch, method: string, path: string, body?: unknown) => {
  const res = await f(path, { method, headers: { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { message?: string } };
};

before(async () => { srv = await startSecureServer(['--disable', 'dns,scheduler,controllers', '--enable-admission-plugins', 'NodeRestriction']); });
after(async () => { await srv?.stop(); });

const role = (name: string, rules: string) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ${name}, namespace: default}\nrules: ${rules}\n`;

test('a role writer cannot grant what it does not hold (secrets delete) nor bind cluster-admin; escalate and bind lift that', async () => {
  // eddie: may read pods and write roles and rolebindings in default — an "edit"-like delegate.
  assert.equal((await apply(srv.admin, role('rbac-writer', '[{apiGroups: [""], resources: [pods], verbs: [get, list]}, {apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings], verbs: [get, list, create, update, patch, delete]}]')
    + '---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: eddie-writer, namespace: default}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rbac-writer}\nsubjects: [{kind: User, name: eddie, apiGroup: rbac.authorization.k8s.io}]\n')).code, 0);
  const eddie = await userKubeconfig('eddie');
  await waitFor('eddie may create roles', async () => (await kubectl(eddie, ['auth', 'can-i', 'create', 'roles'])).stdout.trim() === 'yes', 10_000);

  const held = await apply(eddie, role('pod-reader', '[{apiGroups: [""], resources: [pods], verbs: [get]}]'));
  assert.equal(held.code, 0, held.stderr);
  const more = await apply(eddie, role('secret-deleter', '[{apiGroups: [""], resources: [secrets, pods], verbs: [delete, get]}]'));
  assert.notEqual(more.code, 0);
  assert.match(more.stderr, /roles\.rbac\.authorization\.k8s\.io "secret-deleter" is forbidden: user "eddie" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["delete" "get"\]\}/);
  assert.match((await asAdmin('get', 'roles', '-o', 'name')).stdout, /^(?![\s\S]*secret-deleter)/, 'nothing half-written');

  const bindAdmin = await kubectl(eddie, ['create', 'rolebinding', 'eddie-root', '--clusterrole', 'cluster-admin', '--user', 'eddie']);
  assert.notEqual(bindAdmin.code, 0);
  assert.match(bindAdmin.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "eddie-root" is forbidden: user "eddie" .* is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
  const bindOwn = await kubectl(eddie, ['create', 'rolebinding', 'friend-pods', '--role', 'pod-reader', '--user', 'friend']);
  assert.equal(bindOwn.code, 0, bindOwn.stderr);
  const ghost = await kubectl(eddie, ['create', 'rolebinding', 'eddie-future', '--clusterrole', 'not-yet', '--user', 'eddie']);
  assert.match(ghost.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "eddie-future" is forbidden: clusterrole\.rbac\.authorization\.k8s\.io "not-yet" not found/);
  // A Role and its binding in one apply: the binding sees the Role just written.
  const both = await apply(eddie, role('lister', '[{apiGroups: [""], resources: [pods], verbs: [list]}]')
    + '---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: friend-lists, namespace: default}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: lister}\nsubjects: [{kind: User, name: friend, apiGroup: rbac.authorization.k8s.io}]\n');
  assert.equal(both.code, 0, both.stderr);
  // Widening a role through update is checked the same way.
  const widen = await kubectl(eddie, ['patch', 'role', 'pod-reader', '--type=json', '-p', '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}}]']);
  assert.match(widen.stderr, /is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["list"\]\}/);

  // escalate on roles and bind on the cluster-admin ClusterRole: now both go through.
  assert.equal((await apply(srv.admin, role('rbac-super', '[{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate]}, {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}]')
    + '---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: eddie-super, namespace: default}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rbac-super}\nsubjects: [{kind: User, name: eddie, apiGroup: rbac.authorization.k8s.io}]\n')).code, 0);
  await waitFor('escalate lets eddie write the secrets role', async () => (await apply(eddie, role('secret-deleter', '[{apiGroups: [""], resources: [secrets], verbs: [delete]}]'))).code === 0, 10_000);
  const bound = await kubectl(eddie, ['create', 'rolebinding', 'eddie-root', '--clusterrole', 'cluster-admin', '--user', 'eddie']);
  assert.equal(bound.code, 0, bound.stderr);
});

test('NodeRestriction: a kubelet changes only its own Node status and allowed labels, its own Lease, its pods', async () => {
  const n1 = fetchFromKubeconfig(srv.pki.kubeconfig('kubelet-n1'));
  const n2 = fetchFromKubeconfig(srv.pki.kubeconfig('kubelet-n2'));
  const node = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
  // Registration: only itself, only with kubelet labels.
  assert.equal((await send(n1, 'POST', '/api/v1/nodes', node('n1', { 'kubernetes.io/hostname': 'n1', 'node.kubernetes.io/instance-type': 'lab' }))).status, 201);
  const squat = await send(n1, 'POST', '/api/v1/nodes', node('n2'));
  assert.equal(squat.status, 403);
  assert.equal(squat.body.message, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  const role = await send(n2, 'POST', '/api/v1/nodes', node('n2', { 'node-role.kubernetes.io/control-plane': '', 'node-restriction.kubernetes.io/pci': 'yes' }));
  assert.equal(role.status, 403);
  assert.equal(role.body.message, 'nodes "n2" is forbidden: node "n2" is not allowed to set the following labels: node-restriction.kubernetes.io/pci, node-role.kubernetes.io/control-plane');
  assert.equal((await send(n2, 'POST', '/api/v1/nodes', node('n2'))).status, 201);

  // Status: its own → 200, another node's → 403.
  const status = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString() }] } };
  assert.equal((await send(n1, 'PATCH', '/api/v1/nodes/n1/status', status)).status, 200);
  assert.equal((await send(n1, 'PATCH', '/api/v1/nodes/n2/status', status)).status, 403);
  // Labels and taints after registration.
  const relabel = await send(n1, 'PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'node-role.kubernetes.io/worker': '' } } });
  assert.equal(relabel.status, 403);
  assert.equal(relabel.body.message, 'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker');
  assert.equal((await send(n1, 'PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'example.com/rack': 'r1', 'topology.kubernetes.io/zone': 'z1' } } })).status, 200);
  assert.equal((await send(n1, 'PATCH', '/api/v1/nodes/n1', { spec: { taints: [] , unschedulable: false } })).status, 200, 'taints unchanged');
  const untaint = await send(n1, 'PATCH', '/api/v1/nodes/n1', { spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] } });
  assert.equal(untaint.body.message, 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints');

  // Leases: its own only.
  const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name } });
  assert.equal((await send(n1, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n1'))).status, 201);
  const other = await send(n1, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n2'));
  assert.equal(other.status, 403);
  assert.equal(other.body.message, 'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node');

  // Pods: no creating, status and deletion only of its own.
  const pod = (name: string, nodeName: string, mirror = false) => ({ apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', ...(mirror ? { annotations: { 'kubernetes.io/config.mirror': 'x' } } : {}) }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
  // (tskube has no static pods: the Node authorizer refuses pod creation before admission is reached.)
  assert.equal((await send(n1, 'POST', '/api/v1/namespaces/default/pods', pod('sneaky', 'n1'))).status, 403);
  assert.equal((await send(n1, 'POST', '/api/v1/namespaces/default/pods', pod('static-n1', 'n1', true))).status, 403);
  const r = await asAdmin('run', 'on-n2', '--image', 'busybox', '--overrides', '{"spec":{"nodeName":"n2"}}');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await send(n1, 'PATCH', '/api/v1/namespaces/default/pods/on-n2/status', { status: { phase: 'Running' } })).status, 403);
  assert.equal((await send(n2, 'PATCH', '/api/v1/namespaces/default/pods/on-n2/status', { status: { phase: 'Running' } })).status, 200);
  assert.equal((await send(n1, 'DELETE', '/api/v1/namespaces/default/pods/on-n2')).status, 403);
});
