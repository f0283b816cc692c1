// Indexed Jobs: completedIndexes in upstream's compact form, which indexes get pods next, and
// what an indexed pod carries (name, annotation, label, JOB_COMPLETION_INDEX, hostname).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatIndexes, parseIndexes, planIndexes, succeededIndexes, withIndex, INDEX_KEY } from '../../control/controllers/job/indexed.js';
import { podFromJob } from '../../control/controllers/job/job-controller.js';

const job = (completions: number, completedIndexes?: string): Job => ({
  metadata: { name: 'work', namespace: 'default', uid: 'j1' },
  spec: { completionMode: 'Indexed', completions, parallelism: 2, template: { metadata: { labels: { app: 'w' } },
    spec: { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', value: '1' }] }] } } },
  status: completedIndexes ? { completedIndexes } : {},
});
const pod = (index: number | string, phase = 'Running', created = '2026-01-01T00:00:00Z'): Pod =>
  ({ metadata: { name: `work-${index}-x`, annotations: { [INDEX_KEY]: String(index) }, creationTimestamp: created }, status: { phase } });

test('completedIndexes: runs of three or more compress to first-last', () => {
  assert.equal(formatIndexes(new Set([7, 1, 3, 4, 5])), '1,3-5,7');
  assert.equal(formatIndexes(new Set([0, 1])), '0,1');
  assert.equal(formatIndexes(new Set()), '');
  assert.deepEqual([...parseIndexes('1,3-5,7', 6)].sort(), [1, 3, 4, 5]);
  assert.deepEqual([...succeededIndexes(job(4, '0'), [pod(2, 'Succeeded'), pod(3, 'Failed'), pod(9, 'Succeeded')])].sort(), [0, 2]);
});

test('planIndexes: the lowest missing indexes up to parallelism; duplicates and finished indexes go', () => {
  const j = job(5);
  assert.deepEqual(planIndexes(j, [], new Set(), 2), { create: [0, 1], remove: [] });
  assert.deepEqual(planIndexes(j, [pod(0)], new Set([1]), 2).create, [2]);
  const dup = pod(0, 'Running', '2026-01-02T00:00:00Z');
  const plan = planIndexes(j, [pod(0), dup, pod(1), pod('x')], new Set([1]), 2);
  assert.equal(plan.remove.length, 3, 'the younger duplicate of 0, the pod of finished index 1, the pod without an index');
  assert.ok(plan.remove.includes(dup));
  assert.deepEqual(plan.create, [2], 'index 0 keeps its older pod; the next free index fills parallelism');
});

test('an indexed pod: name work-<i>-…, annotation and label, JOB_COMPLETION_INDEX in every container, hostname', () => {
  const p = withIndex(podFromJob(job(3)), job(3), 2);
  assert.match(p.metadata!.name!, /^work-2-[a-z0-9]{5}$/);
  assert.equal(p.metadata!.generateName, 'work-2-');
  assert.equal(p.metadata!.annotations![INDEX_KEY], '2');
  assert.equal(p.metadata!.labels![INDEX_KEY], '2');
  assert.equal(p.metadata!.labels!.app, 'w');
  for (const c of [...p.spec!.initContainers!, ...p.spec!.containers]) {
    assert.deepEqual(c.env!.find((e) => e.name === 'JOB_COMPLETION_INDEX'), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${INDEX_KEY}']` } } });
  }
  assert.deepEqual(p.spec!.containers[0]!.env!.map((e) => e.name), ['A', 'JOB_COMPLETION_INDEX']);
  assert.equal(p.spec!.hostname, 'work-2');
});
