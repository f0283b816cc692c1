// Escalation prevention's pure part: which requested rules the owner's rules cover (upstream's
// Covers / ruleCovers), and the refusal message in upstream's compact form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escalationMessage, uncovered } from '../../control/api/auth/escalation.js';
import { forbiddenNodeLabels } from '../../control/api/admission/node-restriction.js';

test('covered: wildcards, */sub and res/* forms, resourceNames, URL prefixes', () => {
  assert.deepEqual(uncovered([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['delete'] }]), []);
  assert.deepEqual(uncovered([{ apiGroups: [''], resources: ['*/status'], verbs: ['get'] }], [{ apiGroups: [''], resources: ['pods/status'], verbs: ['get'] }]), []);
  assert.deepEqual(uncovered([{ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a', 'b'] }], [{ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] }]), []);
  assert.equal(uncovered([{ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] }], [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]).length, 1, 'a named grant does not cover all names');
  assert.deepEqual(uncovered([{ nonResourceURLs: ['/metrics*'], verbs: ['get'] }], [{ nonResourceURLs: ['/metrics/slis'], verbs: ['get'] }]), []);
  assert.equal(uncovered([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]).length, 1, 'resource rules do not cover URLs');
});

test("the message lists the missing rules compacted and sorted, groups in Go's %q form", () => {
  const missing = uncovered([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], [{ apiGroups: [''], resources: ['secrets', 'pods'], verbs: ['delete', 'get'] }]);
  assert.equal(escalationMessage({ username: 'jane', groups: ['devs', 'system:authenticated'] }, missing),
    'user "jane" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
    + '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["delete" "get"]}');
});

test('NodeRestriction labels: kubelet ones allowed, node-role and node-restriction refused, removals count', () => {
  assert.deepEqual(forbiddenNodeLabels({ 'kubernetes.io/hostname': 'n1', 'node.kubernetes.io/instance-type': 'x', 'example.com/a': 'b', 'kubelet.kubernetes.io/x': 'y' }), []);
  assert.deepEqual(forbiddenNodeLabels({ 'node-role.kubernetes.io/worker': '', 'team.node-restriction.kubernetes.io/x': 'y', 'foo.k8s.io/z': '1' }),
    ['foo.k8s.io/z', 'node-role.kubernetes.io/worker', 'team.node-restriction.kubernetes.io/x']);
  assert.deepEqual(forbiddenNodeLabels({}, { 'node-role.kubernetes.io/control-plane': '' }), ['node-role.kubernetes.io/control-plane']);
  assert.deepEqual(forbiddenNodeLabels({ 'node-role.kubernetes.io/control-plane': '' }, { 'node-role.kubernetes.io/control-plane': '' }), [], 'unchanged labels are fine');
});
