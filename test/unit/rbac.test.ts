// RBAC's rules as upstream evaluates them: verbs, groups, "*/sub" and "res/*" resources,
// resourceNames, non-resource URLs, subjects; aggregation; the forbidden message; validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRole } from 'kubernetes-types/rbac/v1.js';
import { ruleAllows, subjectMatches } from '../../control/api/auth/rbac-rules.js';
import { aggregate } from '../../control/api/auth/rbac-authorizer.js';
import { forbiddenError } from '../../control/api/auth/authorizer.js';
import { podReferences, nodeNameOf } from '../../control/api/auth/node-authorizer.js';
import { requestAttributes } from '../../control/api/auth/request-info.js';
import { defaultClusterRoles } from '../../control/api/auth/bootstrap-policy.js';
import { clusterroles, rolebindings, roles } from '../../control/api/resources/rbac.js';

const jane = { username: 'jane', groups: ['dev', 'system:authenticated'] };
const req = (m: string, url: string) => requestAttributes(jane, m, url);

test('rules: verbs, api groups, subresources, resourceNames, non-resource URLs', () => {
  const r = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'deployments/*'], resourceNames: [] };
  assert.ok(ruleAllows(r, req('GET', '/api/v1/namespaces/d/pods')));
  assert.ok(!ruleAllows(r, req('DELETE', '/api/v1/namespaces/d/pods/x')));
  assert.ok(!ruleAllows(r, req('GET', '/api/v1/namespaces/d/pods/x/log')), 'pods does not cover pods/log');
  assert.ok(!ruleAllows(r, req('GET', '/apis/apps/v1/namespaces/d/deployments/x/scale')), 'wrong group');
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['*/scale'] }, req('GET', '/apis/apps/v1/namespaces/d/deployments/x/scale')));
  const named = { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] };
  assert.ok(ruleAllows(named, req('GET', '/api/v1/namespaces/d/secrets/a')));
  assert.ok(!ruleAllows(named, req('GET', '/api/v1/namespaces/d/secrets/b')));
  assert.ok(!ruleAllows(named, req('GET', '/api/v1/namespaces/d/secrets')), 'resourceNames never allow a list of everything');
  assert.ok(ruleAllows({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, req('GET', '/apis/apps/v1')));
  assert.ok(!ruleAllows({ verbs: ['get'], nonResourceURLs: ['/healthz'] }, req('GET', '/metrics')));
  assert.ok(!ruleAllows({ verbs: ['get'], nonResourceURLs: ['*'] }, req('GET', '/api/v1/pods')), 'URL rules never cover resources');
});

test('subjects: users, groups, service accounts (namespace from the RoleBinding)', () => {
  assert.ok(subjectMatches({ kind: 'Group', name: 'dev' }, jane));
  assert.ok(!subjectMatches({ kind: 'User', name: 'Jane' }, jane));
  const sa = { username: 'system:serviceaccount:d:robot', groups: [] };
  assert.ok(subjectMatches({ kind: 'ServiceAccount', name: 'robot' }, sa, 'd'));
  assert.ok(!subjectMatches({ kind: 'ServiceAccount', name: 'robot' }, sa, 'other'));
  assert.ok(!subjectMatches({ kind: 'ServiceAccount', name: 'robot' }, sa), 'no namespace, no match');
});

test('aggregation: admin ⊇ edit ⊇ view, and view cannot read secrets', () => {
  const eff = aggregate(defaultClusterRoles);
  const can = (role: string, m: string, url: string) => (eff.get(role) ?? []).some((r) => ruleAllows(r, req(m, url)));
  assert.ok(can('view', 'GET', '/api/v1/namespaces/d/pods'));
  assert.ok(!can('view', 'GET', '/api/v1/namespaces/d/secrets/x'));
  assert.ok(!can('view', 'DELETE', '/api/v1/namespaces/d/pods/x'));
  assert.ok(can('edit', 'DELETE', '/api/v1/namespaces/d/pods/x'));
  assert.ok(can('edit', 'GET', '/api/v1/namespaces/d/pods'), 'edit aggregates view');
  assert.ok(!can('edit', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/d/rolebindings'));
  assert.ok(can('admin', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/d/rolebindings'));
  assert.ok(can('admin', 'GET', '/api/v1/namespaces/d/pods'), 'admin aggregates edit which aggregates view');
  const loop: ClusterRole[] = [
    { metadata: { name: 'a', labels: { x: 'a' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'b' } }] } },
    { metadata: { name: 'b', labels: { x: 'b' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'a' } }] }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] },
  ];
  assert.equal(aggregate(loop).get('a')!.length, 1, 'cycles settle');
});

test("forbidden: upstream's message and details", () => {
  const e = forbiddenError(req('DELETE', '/api/v1/namespaces/default/pods/x'), '');
  assert.equal(e.code, 403);
  assert.equal(e.message, 'pods "x" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"');
  assert.equal(forbiddenError(req('GET', '/apis/apps/v1/deployments'), '').message, 'deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API group "apps" at the cluster scope');
  assert.equal(forbiddenError(req('GET', '/metrics'), '').message, 'forbidden: User "jane" cannot get path "/metrics"');
});

test('node authorizer graph: which pod references which secret/configmap/claim', () => {
  const pod = { spec: { nodeName: 'n1', serviceAccountName: 'sa', imagePullSecrets: [{ name: 'pull' }],
    volumes: [{ name: 'v', secret: { secretName: 'vol' } }, { name: 'p', projected: { sources: [{ configMap: { name: 'cm' } }] } }, { name: 'c', persistentVolumeClaim: { claimName: 'data' } }],
    containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'envfrom' } }], env: [{ name: 'E', valueFrom: { configMapKeyRef: { name: 'cm2', key: 'k' } } }] }] } };
  for (const [k, n] of [['secrets', 'pull'], ['secrets', 'vol'], ['secrets', 'envfrom'], ['configmaps', 'cm'], ['configmaps', 'cm2'], ['persistentvolumeclaims', 'data'], ['serviceaccounts', 'sa']] as const) {
    assert.ok(podReferences(pod, k, n), `${k}/${n}`);
  }
  assert.ok(!podReferences(pod, 'secrets', 'cm'));
  assert.equal(nodeNameOf({ username: 'system:node:n1', groups: ['system:nodes'] }), 'n1');
  assert.equal(nodeNameOf({ username: 'system:node:n1', groups: [] }), undefined, 'the group is required');
});

test('validation: unknown verbs, missing targets, wrong roleRef kinds, bad subjects; defaults fill apiGroup', () => {
  const msgs = (causes: Array<{ field?: string; message?: string }>) => causes.map((c) => `${c.field}: ${c.message}`).join('\n');
  assert.match(msgs(roles.validate!({ metadata: { name: 'r', namespace: 'd' }, rules: [{ verbs: ['fly'], apiGroups: [''], resources: ['pods'] }] })), /rules\[0\]\.verbs\[0\]: Unsupported value: "fly"/);
  assert.match(msgs(roles.validate!({ metadata: { name: 'r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] })), /namespaced rules cannot apply to non-resource URLs/);
  assert.equal(clusterroles.validate!({ metadata: { name: 'system:x' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] }).length, 0);
  assert.match(msgs(clusterroles.validate!({ metadata: { name: 'a/b' } })), /may not contain '\/'/);
  const rb = { metadata: { name: 'b', namespace: 'd' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'Robot', name: 'x' }] };
  rolebindings.defaults!(rb);
  assert.equal((rb.subjects[0] as { apiGroup?: string }).apiGroup, 'rbac.authorization.k8s.io');
  assert.match(msgs(rolebindings.validate!(rb)), /subjects\[1\]\.kind: Unsupported value: "Robot"/);
  assert.match(msgs(rolebindings.validate!({ ...rb, subjects: [] }, { ...rb, roleRef: { ...rb.roleRef, name: 'other' } })), /cannot change roleRef/);
});
