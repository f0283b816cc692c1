// The three PATCH forms: merge patch, JSON patch and strategic merge patch (merge keys,
// $patch directives, $setElementOrder, $deleteFromPrimitiveList).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, strategicMergePatch, mergePatch } from '../../control/api/patch.js';

const pod = {
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: { containers: [
    { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
    { name: 'side', image: 'busybox' },
  ] },
};

test('merge patch replaces lists and deletes with null', () => {
  assert.deepEqual(mergePatch(pod, { metadata: { labels: { a: null, c: '3' } }, spec: { containers: [] } }),
    { metadata: { name: 'p', labels: { b: '2', c: '3' }, finalizers: ['x'] }, spec: { containers: [] } });
});

test('strategic merge patch merges containers by name and env by name', () => {
  const out = strategicMergePatch(pod, { spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '2' }] }] } }) as any;
  assert.equal(out.spec.containers.length, 2);
  assert.equal(out.spec.containers[0].image, 'nginx:2');
  assert.deepEqual(out.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
  assert.deepEqual(out.spec.containers[0].ports, [{ containerPort: 80 }]);
});

test('strategic merge patch: $patch delete, $setElementOrder, $deleteFromPrimitiveList, finalizers union', () => {
  const out = strategicMergePatch(pod, {
    metadata: { finalizers: ['y'] },
    spec: {
      $setElementOrder: undefined,
      '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }],
      containers: [{ name: 'web', $patch: 'delete' }, { name: 'new', image: 'x' }],
    },
  }) as any;
  assert.deepEqual(out.spec.containers.map((c: any) => c.name), ['side', 'new']);
  assert.deepEqual(out.metadata.finalizers, ['x', 'y']);
  const out2 = strategicMergePatch(out, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }) as any;
  assert.deepEqual(out2.metadata.finalizers, ['y']);
});

test('json patch applies operations and reports bad ones as 400', () => {
  const out = applyPatch('application/json-patch+json', pod, [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:3' }]) as any;
  assert.equal(out.spec.containers[0].image, 'nginx:3');
  assert.equal(pod.spec.containers[0].image, 'nginx:1', 'input untouched');
  assert.throws(() => applyPatch('application/json-patch+json', pod, [{ op: 'remove', path: '/nope/x' }]), (e: any) => e.code === 400);
  assert.throws(() => applyPatch('application/yaml', pod, {}), (e: any) => e.code === 415);
});
