// Shared controller helpers: label selectors, node lifecycle taints, owner lookups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { isEmptySelector, matchesMap, matchesSelector } from '../../control/client/labels.js';
import { isPodAvailable } from '../../control/controllers/util/pods.js';
import { desiredTaints, UNREACHABLE, NOT_READY } from '../../control/controllers/nodelifecycle/node-lifecycle-controller.js';
import { resourceFor } from '../../control/controllers/garbagecollector/garbage-collector.js';

test('label selectors: matchLabels and every expression operator', () => {
  const l = { app: 'web', tier: 'fe' };
  assert.ok(matchesMap({ app: 'web' }, l));
  assert.ok(!matchesMap({ app: 'db' }, l));
  assert.ok(matchesSelector({}, l));
  assert.ok(!matchesSelector(undefined, l));
  assert.ok(matchesSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] }, l));
  assert.ok(!matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['fe'] }] }, l));
  assert.ok(matchesSelector({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }, { key: 'app', operator: 'Exists' }] }, l));
  assert.ok(!matchesSelector({ matchExpressions: [{ key: 'x', operator: 'Bogus' }] }, l));
  assert.ok(isEmptySelector({}));
  assert.ok(!isEmptySelector({ matchLabels: { a: 'b' } }));
});

test('availability waits minReadySeconds after Ready', () => {
  const p = { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } };
  assert.ok(isPodAvailable(p, 0));
  assert.ok(!isPodAvailable(p, 30, Date.parse('2024-01-01T00:00:10Z')));
  assert.ok(isPodAvailable(p, 30, Date.parse('2024-01-01T00:00:31Z')));
});

const node = (ready: string | undefined, taints: Taint[] = []): Node => ({
  metadata: { name: 'n' },
  spec: { taints },
  status: ready ? { conditions: [{ type: 'Ready', status: ready }] } : {},
});

test('node lifecycle taints follow the Ready condition and keep other taints', () => {
  const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
  const sig = (n: Node) => desiredTaints(n).map((t) => `${t.key}:${t.effect}`).sort();
  assert.deepEqual(sig(node('True', [cp])), [`${cp.key}:NoSchedule`]);
  assert.deepEqual(sig(node('Unknown', [cp])), [`${cp.key}:NoSchedule`, `${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
  assert.deepEqual(sig(node('False')), [`${NOT_READY}:NoExecute`, `${NOT_READY}:NoSchedule`]);
  assert.deepEqual(sig(node('True', [{ key: UNREACHABLE, effect: 'NoExecute' }])), []);
  assert.deepEqual(sig(node(undefined)), []);
  const kept = { key: UNREACHABLE, effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' };
  assert.equal(desiredTaints(node('Unknown', [kept])).find((t) => t.effect === 'NoExecute')!.timeAdded, kept.timeAdded);
});

test('garbage collector resolves ownerReferences to served resources', () => {
  assert.equal(resourceFor({ apiVersion: 'apps/v1', kind: 'Deployment' })?.resource, 'deployments');
  assert.equal(resourceFor({ apiVersion: 'apps/v1', kind: 'ReplicaSet' })?.resource, 'replicasets');
  assert.equal(resourceFor({ apiVersion: 'v1', kind: 'Pod' })?.resource, 'pods');
  assert.equal(resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' }), undefined);
});
