// StatefulSet volumeClaimTemplates as pure logic: the claims a member gets, the pod volumes that
// point at them, and the owners the retention policy wants; and a revision's restoring patch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { claimOwners, claimsFor, withClaimVolumes } from '../../control/controllers/statefulset/stateful-claims.js';
import { newStatefulPod } from '../../control/controllers/statefulset/stateful-pods.js';
import { revisionData } from '../../control/controllers/history/controller-history.js';

const sts = (policy?: Record<string, string>, replicas = 2): StatefulSet => ({
  metadata: { name: 'db', namespace: 'prod', uid: 'set-uid' },
  spec: { replicas, serviceName: 'db', selector: { matchLabels: { app: 'db' } },
    persistentVolumeClaimRetentionPolicy: policy,
    template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'disk' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] },
});

test('claims per member: <template>-<set>-<ordinal>, the selector\'s labels, and the pod volume replaced', () => {
  const [c] = claimsFor(sts(), 1);
  assert.equal(c!.metadata?.name, 'data-db-1');
  assert.equal(c!.metadata?.namespace, 'prod');
  assert.deepEqual(c!.metadata?.labels, { tier: 'disk', app: 'db' });
  assert.equal(c!.metadata?.ownerReferences, undefined, 'Retain: nobody owns it');
  const pod = withClaimVolumes(newStatefulPod(sts(), 1), sts(), 1);
  assert.deepEqual(pod.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } }, { name: 'cfg', configMap: { name: 'c' } }]);
  assert.deepEqual(claimsFor(sts({ whenDeleted: 'Delete' }), 0)[0]!.metadata?.ownerReferences?.map((r) => r.uid), ['set-uid']);
});

test('retention policy owners: the set for whenDeleted Delete; a condemned member\'s pod alone for whenScaled Delete', () => {
  const member: Pod = { metadata: { name: 'db-2', uid: 'pod-2' } };
  const claim = claimsFor(sts(), 2)[0]!;
  assert.equal(claimOwners(claim, sts(), 2, member), undefined, 'Retain/Retain: nothing to change');
  assert.deepEqual(claimOwners(claim, sts({ whenDeleted: 'Delete' }), 0, undefined)?.map((r) => r.uid), ['set-uid']);
  assert.deepEqual(claimOwners(claim, sts({ whenDeleted: 'Delete', whenScaled: 'Delete' }), 2, member)?.map((r) => r.uid), ['pod-2']);
  assert.equal(claimOwners(claim, sts({ whenScaled: 'Delete' }), 2, { metadata: { ...member.metadata, deletionTimestamp: 'now' } }), undefined, 'going already: left to the GC');
  const owned = { ...claim, metadata: { ...claim.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'db-2', uid: 'pod-2' }, { apiVersion: 'x/v1', kind: 'Other', name: 'o', uid: 'o' }] } };
  assert.deepEqual(claimOwners(owned, sts(undefined, 3), 2, member)?.map((r) => r.uid), ['o'], 'scaled back up: our pod owner goes, others stay');
});

test('a revision\'s data puts the template back with $patch: replace', () => {
  assert.deepEqual(revisionData({ metadata: { labels: { a: 'b' } }, spec: { containers: [] } }),
    { spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] }, $patch: 'replace' } } });
});
