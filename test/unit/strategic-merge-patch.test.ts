// Strategic merge patch against the cases upstream documents (kubernetes/community,
// contributors/devel/sig-api-machinery/strategic-merge-patch.md), one test per case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategicMergePatch as smp } from '../../control/api/patch.js';

test('lists of maps merge by merge key: a new container is added, not replacing the list', () => {
  const orig = { spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }] } };
  const out = smp(orig, { spec: { containers: [{ name: 'log-tailer', image: 'log-tailer-1.0' }] } });
  assert.deepEqual(out, { spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }, { name: 'log-tailer', image: 'log-tailer-1.0' }] } });
});

test('$patch: replace on a map takes the map literally', () => {
  const orig = { spec: { containers: [{ name: 'a', image: 'x' }], restartPolicy: 'Always' } };
  const out = smp(orig, { spec: { $patch: 'replace', containers: [{ name: 'nginx', image: 'nginx-1.0' }] } });
  assert.deepEqual(out, { spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }] } });
});

test('$patch: replace as a list item replaces the whole list', () => {
  const orig = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] };
  const out = smp(orig, { containers: [{ name: 'nginx', image: 'nginx-1.0' }, { $patch: 'replace' }] });
  assert.deepEqual(out, { containers: [{ name: 'nginx', image: 'nginx-1.0' }] });
});

test('$patch: delete in a list deletes every entry with that merge key', () => {
  const orig = { containers: [{ name: 'nginx', image: 'nginx-0.9' }, { name: 'log-tailer', image: 'l' }, { name: 'log-tailer', image: 'dup' }] };
  const out = smp(orig, { containers: [{ name: 'nginx', image: 'nginx-1.0' }, { $patch: 'delete', name: 'log-tailer' }] });
  assert.deepEqual(out, { containers: [{ name: 'nginx', image: 'nginx-1.0' }] });
});

test('$patch: delete on a map deletes it, as null does', () => {
  const orig = { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } };
  assert.deepEqual(smp(orig, { strategy: { rollingUpdate: { $patch: 'delete' } } }), { strategy: { type: 'RollingUpdate' } });
  assert.deepEqual(smp(orig, { strategy: { rollingUpdate: null } }), { strategy: { type: 'RollingUpdate' } });
});

test('$deleteFromPrimitiveList removes values from a merged primitive list (finalizers)', () => {
  assert.deepEqual(smp({ finalizers: ['a', 'b', 'c'] }, { '$deleteFromPrimitiveList/finalizers': ['b', 'c'] }), { finalizers: ['a'] });
  assert.deepEqual(smp({ finalizers: ['a', 'b', 'b'] }, { '$deleteFromPrimitiveList/finalizers': ['b'] }), { finalizers: ['a'] }, 'duplicates all go');
});

test('merged primitive lists are sets: deduplicated, then merged', () => {
  assert.deepEqual(smp({ finalizers: ['a', 'b'] }, { finalizers: ['b', 'c', 'c'] }), { finalizers: ['a', 'b', 'c'] });
});

test('$setElementOrder orders a primitive list and a list of maps', () => {
  assert.deepEqual(smp({ finalizers: ['a', 'b', 'c'] }, { '$setElementOrder/finalizers': ['b', 'c', 'a'] }), { finalizers: ['b', 'c', 'a'] });
  const orig = { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }, { name: 'c', image: '3' }] };
  const out = smp(orig, { '$setElementOrder/containers': [{ name: 'b' }, { name: 'c' }, { name: 'a' }] }) as { containers: Array<{ name: string }> };
  assert.deepEqual(out.containers.map((c) => c.name), ['b', 'c', 'a']);
});

test('$retainKeys clears the fields of a union that the patch does not keep', () => {
  const out = smp({ union: { foo: 'a', other: 'b' } }, { union: { $retainKeys: ['another', 'bar'], another: 'd', bar: 'c' } });
  assert.deepEqual(out, { union: { another: 'd', bar: 'c' } });
});

test('lists without a merge key (args, command) are replaced', () => {
  const out = smp({ containers: [{ name: 'a', args: ['1', '2'] }] }, { containers: [{ name: 'a', args: ['3'] }] });
  assert.deepEqual(out, { containers: [{ name: 'a', args: ['3'] }] });
});
