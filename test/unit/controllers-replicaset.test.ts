// ReplicaSet controller pure logic: pod names, which pods go first, status, expectations, batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { generateName, randomSuffix, SAFE_ALPHABET } from '../../control/controllers/replicaset/pod-names.js';
import { computeStatus, podFromTemplate, podsToDelete, statusEqual } from '../../control/controllers/replicaset/pods.js';
import { Expectations } from '../../control/controllers/replicaset/expectations.js';
import { slowStartBatch } from '../../control/controllers/replicaset/replicaset-controller.js';

const rs: ReplicaSet = {
  metadata: { name: 'web-5d4f8b', namespace: 'default', uid: 'rs-uid', generation: 3 },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
};

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; created?: string; readySince?: string; restarts?: number; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: o.created ?? '2024-01-01T00:00:00Z', labels: o.labels ?? { app: 'web', tier: 'fe' } },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: o.readySince ?? '2024-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: !!o.ready, restartCount: o.restarts ?? 0 }],
    },
  };
}

test('pod names: prefix + 5 characters of the safe alphabet, truncated to fit 63', () => {
  for (let i = 0; i < 50; i++) {
    const s = randomSuffix();
    assert.equal(s.length, 5);
    for (const ch of s) assert.ok(SAFE_ALPHABET.includes(ch), ch);
  }
  assert.match(generateName('web-5d4f8b-'), /^web-5d4f8b-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(generateName('x'.repeat(100)).length, 63);
});

test('pod from template: labels, generateName, controller ownerReference', () => {
  const p = podFromTemplate(rs);
  assert.equal(p.metadata!.generateName, 'web-5d4f8b-');
  assert.ok(p.metadata!.name!.startsWith('web-5d4f8b-'));
  assert.deepEqual(p.metadata!.labels, { app: 'web', tier: 'fe' });
  assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8b', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(p.spec!.containers[0]!.image, 'nginx');
  p.spec!.containers[0]!.image = 'changed';
  assert.equal(rs.spec!.template!.spec!.containers[0]!.image, 'nginx'); // deep copy
});

test('scale down deletes unscheduled, then pending, then not ready, then newest first', () => {
  const pods = [
    pod('ready-old', { node: 'n1', ready: true, readySince: '2024-01-01T00:00:00Z' }),
    pod('ready-new', { node: 'n1', ready: true, readySince: '2024-01-02T00:00:00Z' }),
    pod('notready', { node: 'n1' }),
    pod('pending', { node: 'n1', phase: 'Pending' }),
    pod('unscheduled', { phase: 'Pending' }),
  ];
  assert.deepEqual(podsToDelete(pods, 5).map((p) => p.metadata!.name), ['unscheduled', 'pending', 'notready', 'ready-new', 'ready-old']);
  assert.deepEqual(podsToDelete(pods, 2).map((p) => p.metadata!.name), ['unscheduled', 'pending']);
  const restarted = [pod('a', { node: 'n', ready: true }), pod('b', { node: 'n', ready: true, restarts: 4 })];
  assert.equal(podsToDelete(restarted, 1)[0]!.metadata!.name, 'b');
  const byAge = [pod('old', { node: 'n', created: '2024-01-01T00:00:00Z' }), pod('new', { node: 'n', created: '2024-02-01T00:00:00Z' })];
  assert.equal(podsToDelete(byAge, 1)[0]!.metadata!.name, 'new');
});

test('status counts replicas, fully labelled, ready and available (minReadySeconds)', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  const pods = [
    pod('a', { ready: true, readySince: '2024-01-01T00:00:00Z' }),
    pod('b', { ready: true, readySince: '2024-01-01T00:00:55Z' }),
    pod('c', { labels: { app: 'web' } }),
  ];
  const s = computeStatus({ ...rs, spec: { ...rs.spec!, minReadySeconds: 10 } }, pods, now);
  assert.deepEqual(s, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3 });
  assert.equal(computeStatus(rs, pods, now).availableReplicas, 2);
  assert.ok(statusEqual({ replicas: 0 }, { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 0 }));
});

test('expectations hold the controller back until creates and deletes are observed', () => {
  const e = new Expectations(1000);
  assert.ok(e.satisfied('ns/rs'));
  e.expectCreations('ns/rs', 2);
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  assert.ok(!e.satisfied('ns/rs'));
  e.creationFailed('ns/rs');
  assert.ok(e.satisfied('ns/rs'));
  e.expectDeletions('ns/rs', ['ns/p1', 'ns/p2']);
  e.deletionObserved('ns/rs', 'ns/p1');
  e.deletionObserved('ns/rs', 'ns/p1'); // the same pod twice counts once
  assert.ok(!e.satisfied('ns/rs'));
  e.deletionObserved('ns/rs', 'ns/p2');
  assert.ok(e.satisfied('ns/rs'));
  e.expectCreations('ns/rs', 1);
  assert.ok(e.satisfied('ns/rs', Date.now() + 2000)); // expired
});

test('slow start batches 1, 2, 4, … and stops after a failing batch', async () => {
  let n = 0;
  assert.deepEqual(await slowStartBatch(10, async () => { n++; }), { failed: 0, skipped: 0 });
  assert.equal(n, 10);
  let calls = 0;
  const r = await slowStartBatch(10, async () => { if (++calls >= 2) throw new Error('quota'); });
  assert.equal(calls, 3); // batch of 1 ok, batch of 2 fails → stop
  assert.deepEqual(r, { failed: 2, skipped: 7 });
});
