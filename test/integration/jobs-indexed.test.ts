// Indexed Jobs through a real `tskube server` on fake nodes: pods per completion index with the
// index annotation, label, JOB_COMPLETION_INDEX env and hostname; no more than parallelism at
// once; the Job completes with completedIndexes "0-3" and kubectl shows 4/4.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient, KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { waitFor } from '../helpers/server.js';
import { EXIT_ANNOTATION } from './controllers-fake-cluster.js';
import { startFakeCluster, type FakeCluster } from './fake-cluster-server.js';

let cluster: FakeCluster;
let client: ApiClient;
before(async () => { cluster = await startFakeCluster(['worker-1', 'worker-2']); client = cluster.client; });
after(async () => { await cluster?.stop(); });

const INDEX = 'batch.kubernetes.io/job-completion-index';

test('an Indexed Job runs one pod per index and records completedIndexes', async () => {
  const maxActive = { n: 0 };
  const job: Job & KubeObject = { metadata: { name: 'shards', namespace: 'default' }, spec: {
    completionMode: 'Indexed', completions: 4, parallelism: 2,
    template: { metadata: { annotations: { [EXIT_ANNOTATION]: '0' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } } };
  await client.create(R.jobs, job);
  const seen = new Map<string, Pod>();
  const done = await waitFor('Job complete', async () => {
    const pods = (await client.list<Pod & KubeObject>(R.pods, { namespace: 'default', labelSelector: 'batch.kubernetes.io/job-name=shards' })).items;
    for (const p of pods) seen.set(p.metadata!.name!, p);
    maxActive.n = Math.max(maxActive.n, pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length);
    const j = await client.get<Job & KubeObject>(R.jobs, 'shards', 'default');
    return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') && j;
  }, 30_000, 50);
  assert.equal(done.status?.completedIndexes, '0-3');
  assert.equal(done.status?.succeeded, 4);
  assert.ok(maxActive.n <= 2, `at most parallelism pods at once (saw ${maxActive.n})`);
  const byIndex = new Map([...seen.values()].map((p) => [p.metadata!.annotations![INDEX], p]));
  assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2', '3']);
  for (const [i, p] of byIndex) {
    assert.match(p.metadata!.name!, new RegExp(`^shards-${i}-[a-z0-9]{5}$`));
    assert.equal(p.metadata!.labels![INDEX], i);
    assert.equal(p.spec!.hostname, `shards-${i}`);
    assert.equal(p.spec!.containers[0]!.env!.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath, `metadata.annotations['${INDEX}']`);
  }
  const r = await cluster.kubectl(['get', 'job', 'shards']);
  assert.match(r.stdout, /shards\s+Complete\s+4\/4\s/);
});
