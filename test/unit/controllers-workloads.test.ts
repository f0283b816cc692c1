// Pure logic of the controllers issue 5 adds: quota usage, NoExecute eviction deadlines,
// DaemonSet eligibility and pinning, Job verdicts, StatefulSet ordering, leader election
// against a fake Lease API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { formatUsage, podUsage, countedResource } from '../../control/controllers/resourcequota/usage.js';
import { evictionTime } from '../../control/controllers/nodelifecycle/taint-eviction.js';
import { daemonPodNode, newDaemonPod, nodeShouldRunDaemonPod, pinTerms } from '../../control/controllers/daemonset/daemon-pods.js';
import { backoffMs, countPods, decide } from '../../control/controllers/job/job-status.js';
import { computeStatus, newStatefulPod, nextStep, updateRevision } from '../../control/controllers/statefulset/stateful-pods.js';
import { deletableResources } from '../../control/controllers/namespace/namespace-controller.js';
import { parseDurationSeconds } from '../../control/controllers/main.js';

const pod = (o: Partial<Pod['spec']> = {}, status: Pod['status'] = {}): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c' }], ...o }, status });

test('quota usage: pods, requests (limits when unset), init containers, canonical quantities', () => {
  const a = pod({ containers: [{ name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } } }] });
  const b = pod({ containers: [{ name: 'b', resources: { limits: { cpu: '500m', memory: '1Gi' } } }], initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }] });
  const done = pod({ containers: [{ name: 'x', resources: { requests: { cpu: '8' } } }] }, { phase: 'Succeeded' });
  assert.equal(podUsage('pods', [a, b, done]), 2);
  assert.equal(formatUsage('requests.cpu', podUsage('requests.cpu', [a, b, done])!), '2250m');
  assert.equal(formatUsage('cpu', podUsage('cpu', [a])!), '250m');
  assert.equal(formatUsage('limits.cpu', podUsage('limits.cpu', [a, b])!), '1500m');
  assert.equal(formatUsage('requests.memory', podUsage('requests.memory', [a, b])!), '1088Mi');
  assert.equal(formatUsage('limits.memory', podUsage('limits.memory', [b])!), '1Gi');
  assert.equal(podUsage('services', [a]), undefined);
  assert.deepEqual(countedResource('count/deployments.apps'), { resource: 'deployments', group: 'apps' });
  assert.deepEqual(countedResource('secrets'), { resource: 'secrets', group: '' });
});

test('NoExecute eviction: untolerated now, tolerationSeconds after the taint, default for unreachable, forever without a limit', () => {
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' };
  assert.equal(evictionTime(pod(), [unreachable], 300, t0 + 1), t0 + 300_000);
  assert.equal(evictionTime(pod({ tolerations: [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] }), [unreachable], 300, t0), t0 + 5000);
  assert.equal(evictionTime(pod({ tolerations: [{ operator: 'Exists' }] }), [unreachable], 300, t0), undefined);
  assert.equal(evictionTime(pod(), [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }], 300, t0), t0);
  assert.equal(evictionTime(pod(), [{ key: 'soft', effect: 'NoSchedule' }], 300, t0), undefined);
});

const node = (name: string, o: { labels?: Record<string, string>; taints?: Node['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never } = {}): Node =>
  ({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } }, spec: { taints: o.taints } });
const ds = (spec: Partial<NonNullable<DaemonSet['spec']>['template']['spec']> = {}): DaemonSet => ({
  metadata: { name: 'agent', namespace: 'default', uid: 'u1', generation: 1 },
  spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c' }], ...spec } } },
});

test('DaemonSet: eligibility by taints, nodeSelector and affinity; pods pinned by metadata.name and tolerant of node trouble', () => {
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('w1')), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('m', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })), { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('x', { taints: [{ key: 'gone', effect: 'NoExecute' }] })), { shouldRun: false, shouldContinueRunning: false });
  assert.equal(nodeShouldRunDaemonPod(ds(), node('u', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] })).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(ds({ nodeSelector: { disk: 'ssd' } }), node('w1')).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(ds({ nodeSelector: { disk: 'ssd' } }), node('w1', { labels: { disk: 'ssd' } })).shouldRun, true);
  const p = newDaemonPod(ds(), 'w2');
  assert.equal(daemonPodNode(p), 'w2');
  assert.match(p.metadata!.name!, /^agent-[a-z0-9]{5}$/);
  assert.equal(p.metadata!.ownerReferences![0]!.kind, 'DaemonSet');
  assert.deepEqual(pinTerms([{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }], 'n'),
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }]);
});

const job = (spec: Partial<NonNullable<Job['spec']>>, status: Job['status'] = {}): Job => ({ metadata: { name: 'j' }, spec: { template: { spec: { containers: [], restartPolicy: 'Never' } }, ...spec }, status });
const phase = (ph: string): Pod => pod({}, { phase: ph });

test('Job verdicts: completions/parallelism, work queue, backoffLimit, deadline; counts never go down', () => {
  const j = job({ completions: 5, parallelism: 2 });
  assert.deepEqual(decide(j, countPods(j, [phase('Succeeded'), phase('Running')]), 0, 0), { kind: 'run', wantActive: 2 });
  assert.deepEqual(decide(j, countPods(j, [phase('Succeeded'), phase('Succeeded'), phase('Succeeded'), phase('Succeeded')]), 0, 0), { kind: 'run', wantActive: 1 });
  assert.deepEqual(decide(j, countPods(job({ completions: 5 }, { succeeded: 5 }), []), 0, 0), { kind: 'complete' });
  const wq = job({ parallelism: 3 });
  assert.deepEqual(decide(wq, countPods(wq, []), 0, 0), { kind: 'run', wantActive: 3 });
  assert.deepEqual(decide(wq, countPods(wq, [phase('Succeeded'), phase('Running')]), 0, 0), { kind: 'run', wantActive: 1 });
  assert.deepEqual(decide(wq, countPods(wq, [phase('Succeeded')]), 0, 0), { kind: 'complete' });
  const b = job({ backoffLimit: 1 });
  assert.equal(decide(b, countPods(b, [phase('Failed'), phase('Failed')]), 0, 0).kind, 'failed');
  const onFailure = job({ backoffLimit: 2, template: { spec: { containers: [], restartPolicy: 'OnFailure' } } });
  const restarted = pod({}, { phase: 'Running', containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 3 }] });
  assert.deepEqual(decide(onFailure, countPods(onFailure, [restarted]), 0, 0), { kind: 'failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  assert.equal((decide(job({ activeDeadlineSeconds: 10 }), countPods(job({}), [phase('Running')]), 0, 10_000) as { reason: string }).reason, 'DeadlineExceeded');
  assert.equal(countPods(job({}, { succeeded: 4 }), [phase('Succeeded')]).succeeded, 4);
  assert.deepEqual([1, 2, 3, 10].map((n) => backoffMs(n)), [10_000, 20_000, 40_000, 360_000]);
});

const sts = (replicas: number, policy = 'OrderedReady', partition?: number): StatefulSet => ({
  metadata: { name: 'web', namespace: 'default', uid: 's1', generation: 1 },
  spec: { replicas, serviceName: 'web', podManagementPolicy: policy, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    ...(partition !== undefined ? { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } } : {}) },
});
const member = (s: StatefulSet, i: number, ready = true, rev?: string): Pod => {
  const p = newStatefulPod(s, i, rev);
  return { ...p, status: ready ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } : { phase: 'Pending' } };
};

test('StatefulSet steps: ordered creation waits for Ready, Parallel does not, scale-down highest first, rolling update from the top', () => {
  const s = sts(3);
  assert.deepEqual(nextStep(s, new Map()), { action: 'create', ordinals: [0] });
  assert.equal(nextStep(s, new Map([[0, member(s, 0, false)]])).action, 'wait');
  assert.deepEqual(nextStep(s, new Map([[0, member(s, 0)]])), { action: 'create', ordinals: [1] });
  assert.deepEqual(nextStep(sts(3, 'Parallel'), new Map()), { action: 'create', ordinals: [0, 1, 2] });
  const one = sts(1);
  const step = nextStep(one, new Map([0, 1, 2].map((i) => [i, member(one, i)])));
  assert.equal(step.action === 'delete' && step.pods.map((p) => p.metadata!.name).join(), 'web-2');
  const old = new Map([0, 1, 2].map((i) => [i, member(s, i, true, 'web-old')]));
  const roll = nextStep(s, old);
  assert.equal(roll.action === 'delete' && roll.pods[0]!.metadata!.name, 'web-2');
  assert.deepEqual(nextStep(sts(3, 'OrderedReady', 3), old), { action: 'none' });
  const st = computeStatus(s, [0, 1, 2].map((i) => member(s, i)));
  assert.equal(st.currentRevision, updateRevision(s));
  assert.equal(st.readyReplicas, 3);
  assert.equal(newStatefulPod(s, 1).spec!.hostname, 'web-1');
});

test('namespace deletion walks every namespaced, deletable resource; durations parse', () => {
  const refs = deletableResources('apps', 'v1', [
    { name: 'deployments', namespaced: true, kind: 'Deployment', verbs: ['list', 'deletecollection'] },
    { name: 'deployments/scale', namespaced: true, kind: 'Scale', verbs: ['get'] },
    { name: 'nodes', namespaced: false, kind: 'Node', verbs: ['list', 'deletecollection'] },
  ]);
  assert.deepEqual(refs.map((r) => r.resource), ['deployments']);
  assert.equal(parseDurationSeconds('40s', 'x'), 40);
  assert.equal(parseDurationSeconds('5m', 'x'), 300);
  assert.throws(() => parseDurationSeconds('soon', '--pod-eviction-timeout'), /--pod-eviction-timeout: not a duration/);
});
