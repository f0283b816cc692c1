// Kubelet admission (lifecycle/admission.ts): a pod fits into allocatable minus the requests of
// the pods already admitted; the first misfit, in upstream's order, names the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { canAdmitPod, PodAdmission, wasRejected } from '../../agent/kubelet/lifecycle/admission.js';
import { defaultConfig } from '../../agent/kubelet/config.js';

const alloc = new Map([['pods', 3], ['cpu', 2000], ['memory', 4 * 2 ** 30]]);
let n = 0;
const ctr = (requests: Record<string, string>): Container => ({ name: `c${n}`, image: 'busybox', resources: { requests } });
const pod = (requests: Record<string, string>, extra: Partial<Pod['spec']> = {}, status?: Pod['status']): Pod =>
  ({ metadata: { name: `p${++n}`, namespace: 'default', uid: `u${n}` }, spec: { containers: [ctr(requests)], ...extra }, ...(status ? { status } : {}) });

test('fits, or the first resource short in upstream order with its numbers', () => {
  assert.deepEqual(canAdmitPod(pod({ cpu: '1' }), [pod({ cpu: '500m' })], alloc), { admit: true });
  assert.deepEqual(canAdmitPod(pod({ cpu: '1600m', memory: '8Gi' }), [pod({ cpu: '500m' })], alloc), {
    admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 1600, used: 500, capacity: 2000",
  });
  const r = canAdmitPod(pod({ memory: '3Gi' }), [pod({ memory: '2Gi' })], alloc);
  assert.equal(r.reason, 'OutOfmemory');
  assert.equal(r.message, `Node didn't have enough resource: memory, requested: ${3 * 2 ** 30}, used: ${2 * 2 ** 30}, capacity: ${4 * 2 ** 30}`);
  assert.equal(canAdmitPod(pod({}), [pod({}), pod({}), pod({})], alloc).reason, 'OutOfpods');
  assert.equal(canAdmitPod(pod({ 'example.com/gpu': '1' }), [], alloc).reason, 'OutOfexample.com/gpu');
  // Unknown ephemeral-storage capacity is not enforced; pods asking nothing always fit.
  assert.equal(canAdmitPod(pod({ 'ephemeral-storage': '1Ti' }), [], alloc).admit, true);
});

test('requests: limits stand in for unset requests; init containers count at their largest', () => {
  const limitOnly: Pod = { metadata: { uid: 'l' }, spec: { containers: [{ name: 'a', resources: { limits: { cpu: '3' } } }] } };
  assert.equal(canAdmitPod(limitOnly, [], alloc).reason, 'OutOfcpu');
  const init = pod({ cpu: '500m' }, { initContainers: [ctr({ cpu: '1800m' })] });
  assert.equal(canAdmitPod(init, [pod({ cpu: '500m' })], alloc).message, "Node didn't have enough resource: cpu, requested: 1800, used: 500, capacity: 2000");
});

test('PodAdmission counts admitted and already-started pods, not terminal ones; a rejection sticks', () => {
  const a = new PodAdmission(defaultConfig({ nodeName: 'n', nodeIp: '1.1.1.1', server: '', runtimeEndpoint: '' }), alloc);
  const first = pod({ cpu: '1500m' });
  const started = pod({ cpu: '300m' }, {}, { phase: 'Running', startTime: '2024-01-01T00:00:00Z' });
  const done = pod({ cpu: '2' }, {}, { phase: 'Succeeded', startTime: '2024-01-01T00:00:00Z' });
  const second = pod({ cpu: '500m' });
  const all = [first, started, done, second];
  assert.equal(a.admit(first, all).admit, true);
  const r = a.admit(second, all);
  assert.equal(r.message, "Node didn't have enough resource: cpu, requested: 500, used: 1800, capacity: 2000");
  assert.equal(a.admit(second, [second]).repeat, true, 'rejected once, rejected for good');
  a.forget(first.metadata!.uid!);
  assert.equal(a.admit(pod({ cpu: '1500m' }), all).admit, true, 'a forgotten pod frees its room');
  assert.equal(wasRejected({ status: { phase: 'Failed', reason: 'OutOfcpu' } }), true);
  assert.equal(wasRejected({ status: { phase: 'Failed', reason: 'X', containerStatuses: [{ name: 'a', image: 'i', imageID: '', ready: false, restartCount: 0 }] } }), false);
});
