// Pod status computed from CRI state: phase per restart policy, container states (waiting,
// running, terminated, CrashLoopBackOff with lastState), conditions, IPs, QoS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { computePodStatus, podPhase, type RuntimeContainer, type RuntimePod } from '../../agent/kubelet/status/pod-status.js';
import { qosClass } from '../../agent/kubelet/status/qos.js';
import type { PodSandboxStatus } from '../../agent/cri/types.js';

const SEC = 1_000_000_000n;
const pod = (restartPolicy = 'Always', names = ['a']): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { restartPolicy, containers: names.map((name) => ({ name, image: 'busybox' })) },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
});

const sandbox = (ip = '10.244.1.5'): PodSandboxStatus => ({
  id: 'sb1', metadata: { name: 'p', namespace: 'default', uid: 'u1', attempt: 0 }, state: 'SANDBOX_READY', created_at: String(1n * SEC),
  network: { ip, additional_ips: [] }, linux: null, labels: {}, annotations: {}, runtime_handler: '',
});

function ctr(name: string, state: RuntimeContainer['state'], attempt = 0, exit = 0, t = 100n): RuntimeContainer {
  return {
    id: `${name}-${attempt}`, metadata: { name, attempt }, state, created_at: String(t * SEC), started_at: String((t + 1n) * SEC),
    finished_at: state === 'CONTAINER_EXITED' ? String((t + 5n) * SEC) : '0', exit_code: exit,
    image: { image: 'busybox', annotations: {}, user_specified_image: '' }, image_ref: 'sha256:abc', reason: '', message: '',
    labels: {}, annotations: {}, mounts: [], log_path: '', resources: null, pod_sandbox_id: 'sb1',
  };
}

const rt = (...containers: RuntimeContainer[]): RuntimePod => ({ sandboxes: [sandbox()], containers });
const status = (p: Pod, r: RuntimePod, waiting = new Map<string, { reason: string; message?: string }>()) =>
  computePodStatus({ pod: p, runtime: r, waiting, hostIP: '192.168.56.11', runtimeName: 'containerd', now: Date.parse('2024-01-02T00:00:00Z') });

test('nothing in the runtime yet: Pending, ContainerCreating, not ready', () => {
  const s = status(pod(), { sandboxes: [], containers: [] });
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses![0]!.state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
  assert.equal(s.conditions!.find((c) => c.type === 'PodScheduled')!.lastTransitionTime, '2024-01-01T00:00:00Z');
  assert.equal(s.podIP, undefined);
  assert.equal(s.hostIP, '192.168.56.11');
  assert.equal(s.startTime, '2024-01-02T00:00:00Z');
});

test('running container: Running, ready, ids, IP, start time', () => {
  const s = status(pod(), rt(ctr('a', 'CONTAINER_RUNNING')));
  assert.equal(s.phase, 'Running');
  const c = s.containerStatuses![0]!;
  assert.equal(c.ready, true);
  assert.equal(c.started, true);
  assert.equal(c.containerID, 'containerd://a-0');
  assert.equal(c.imageID, 'sha256:abc');
  assert.equal(c.state?.running?.startedAt, '1970-01-01T00:01:41Z');
  assert.equal(s.podIP, '10.244.1.5');
  assert.deepEqual(s.podIPs, [{ ip: '10.244.1.5' }]);
  for (const t of ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) assert.equal(s.conditions!.find((x) => x.type === t)!.status, 'True');
});

test('waiting reason from the pod worker (ErrImagePull) shows before any container exists', () => {
  const s = status(pod(), rt(), new Map([['a', { reason: 'ErrImagePull', message: 'not found' }]]));
  assert.deepEqual(s.containerStatuses![0]!.state, { waiting: { reason: 'ErrImagePull', message: 'not found' } });
  assert.equal(s.phase, 'Pending');
});

test('crash loop: waiting CrashLoopBackOff with lastState terminated, restartCount, phase Running', () => {
  const s = status(pod(), rt(ctr('a', 'CONTAINER_EXITED', 2, 1), ctr('a', 'CONTAINER_EXITED', 1, 1, 50n)),
    new Map([['a', { reason: 'CrashLoopBackOff', message: 'back-off 20s' }]]));
  const c = s.containerStatuses![0]!;
  assert.equal(c.restartCount, 2);
  assert.equal(c.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(c.lastState?.terminated?.exitCode, 1);
  assert.equal(c.lastState?.terminated?.reason, 'Error');
  assert.equal(c.lastState?.terminated?.containerID, 'containerd://a-2');
  assert.equal(s.phase, 'Running');
});

test('restarted container keeps the previous run as lastState', () => {
  const s = status(pod(), rt(ctr('a', 'CONTAINER_RUNNING', 1), ctr('a', 'CONTAINER_EXITED', 0, 137, 50n)));
  const c = s.containerStatuses![0]!;
  assert.equal(c.restartCount, 1);
  assert.ok(c.state?.running);
  assert.equal(c.lastState?.terminated?.exitCode, 137);
});

test('phase by restart policy once containers exit', () => {
  const ok = rt(ctr('a', 'CONTAINER_EXITED', 0, 0));
  const bad = rt(ctr('a', 'CONTAINER_EXITED', 0, 2));
  assert.equal(status(pod('Never'), ok).phase, 'Succeeded');
  assert.equal(status(pod('Never'), bad).phase, 'Failed');
  assert.equal(status(pod('OnFailure'), ok).phase, 'Succeeded');
  assert.equal(status(pod('OnFailure'), bad).phase, 'Running');
  assert.equal(status(pod('Always'), ok).phase, 'Running');
  const done = status(pod('Never'), ok);
  assert.equal(done.containerStatuses![0]!.state?.terminated?.reason, 'Completed');
  assert.equal(done.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
});

test('terminal phase is sticky; one waiting container keeps the pod Pending', () => {
  const p = pod('Never');
  p.status!.phase = 'Failed';
  assert.equal(podPhase(p, [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { running: {} } }]), 'Failed');
  const two = status(pod('Always', ['a', 'b']), rt(ctr('a', 'CONTAINER_RUNNING')));
  assert.equal(two.phase, 'Pending');
  assert.match(two.conditions!.find((c) => c.type === 'Ready')!.message!, /\[b\]/);
});

test('condition transition time is kept while the status holds', () => {
  const p = pod();
  p.status!.conditions!.push({ type: 'Ready', status: 'True', lastTransitionTime: '2023-05-05T00:00:00Z' });
  const s = status(p, rt(ctr('a', 'CONTAINER_RUNNING')));
  assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2023-05-05T00:00:00Z');
  const s2 = status(p, rt());
  assert.equal(s2.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2024-01-02T00:00:00Z');
});

test('QoS class', () => {
  const withRes = (requests?: Record<string, string>, limits?: Record<string, string>): Pod =>
    ({ spec: { containers: [{ name: 'a', resources: { requests, limits } }] } });
  assert.equal(qosClass(withRes()), 'BestEffort');
  assert.equal(qosClass(withRes({ cpu: '100m' })), 'Burstable');
  assert.equal(qosClass(withRes(undefined, { cpu: '1', memory: '1Gi' })), 'Guaranteed');
  assert.equal(qosClass(withRes({ cpu: '1000m', memory: '1024Mi' }, { cpu: '1', memory: '1Gi' })), 'Guaranteed');
  assert.equal(qosClass(withRes({ cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })), 'Burstable');
});
