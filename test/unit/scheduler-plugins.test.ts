// Each scheduler filter/score plugin on its own, plus the "0/3 nodes are available" message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podRequests } from '../../control/scheduler/node-info.js';
import { mkNode, mkPod } from './scheduler-fixtures.js';
import { fitErrorMessage, isSuccess, type Status } from '../../control/scheduler/framework.js';
import { NodeUnschedulable } from '../../control/scheduler/plugins/node-unschedulable.js';
import { NodeReady } from '../../control/scheduler/plugins/node-ready.js';
import { NodeName } from '../../control/scheduler/plugins/node-name.js';
import { TaintToleration, tolerates } from '../../control/scheduler/plugins/taint-toleration.js';
import { NodeAffinity } from '../../control/scheduler/plugins/node-affinity.js';
import { NodePorts } from '../../control/scheduler/plugins/node-ports.js';
import { NodeResourcesFit, LeastAllocated, BalancedAllocation } from '../../control/scheduler/plugins/node-resources-fit.js';

const ok = (s: Status) => assert.ok(isSuccess(s), JSON.stringify(s));
const fails = (s: Status, reason: string) => assert.deepEqual(s.reasons, [reason]);

test('NodeUnschedulable: cordoned nodes refuse pods unless tolerated', () => {
  const p = new NodeUnschedulable();
  ok(p.filter(mkPod('a'), mkNode('n')));
  fails(p.filter(mkPod('a'), mkNode('n', { unschedulable: true })), 'node(s) were unschedulable');
  ok(p.filter(mkPod('a', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } }), mkNode('n', { unschedulable: true })));
});

test('NodeReady: not-ready and unknown nodes refuse pods', () => {
  const p = new NodeReady();
  ok(p.filter(mkPod('a'), mkNode('n')));
  fails(p.filter(mkPod('a'), mkNode('n', { ready: 'False' })), 'node(s) were not ready');
  fails(p.filter(mkPod('a'), mkNode('n', { ready: 'Unknown' })), 'node(s) were not ready');
});

test('NodeName: only the named node', () => {
  const p = new NodeName();
  ok(p.filter(mkPod('a'), mkNode('n1')));
  ok(p.filter(mkPod('a', { spec: { nodeName: 'n1' } }), mkNode('n1')));
  fails(p.filter(mkPod('a', { spec: { nodeName: 'n1' } }), mkNode('n2')), "node(s) didn't match the requested node name");
});

test('TaintToleration: NoSchedule/NoExecute need a toleration; PreferNoSchedule only scores', () => {
  const p = new TaintToleration();
  const master = mkNode('master', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  fails(p.filter(mkPod('a'), master), 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }');
  ok(p.filter(mkPod('a', { spec: { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] } }), master));
  ok(p.filter(mkPod('a', { spec: { tolerations: [{ operator: 'Exists' }] } }), master));
  fails(p.filter(mkPod('a'), mkNode('n', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] })), 'node(s) had untolerated taint {k: v}');
  ok(p.filter(mkPod('a'), mkNode('n', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })));
  assert.ok(tolerates({ key: 'k', operator: 'Equal', value: 'v' }, { key: 'k', value: 'v', effect: 'NoSchedule' }));
  assert.ok(!tolerates({ key: 'k', operator: 'Equal', value: 'w' }, { key: 'k', value: 'v', effect: 'NoSchedule' }));
  assert.ok(!tolerates({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, { key: 'k', effect: 'NoSchedule' }));
  const scores = [p.score(mkPod('a'), mkNode('n', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })), p.score(mkPod('a'), mkNode('m'))];
  p.normalize(mkPod('a'), scores);
  assert.deepEqual(scores, [0, 100]);
});

test('NodeAffinity: nodeSelector, required terms with every operator, preferred weights', () => {
  const p = new NodeAffinity();
  const n = mkNode('w1', { labels: { disk: 'ssd', gen: '5' } });
  ok(p.filter(mkPod('a', { spec: { nodeSelector: { disk: 'ssd' } } }), n));
  fails(p.filter(mkPod('a', { spec: { nodeSelector: { disk: 'hdd' } } }), n), "node(s) didn't match Pod's node affinity/selector");
  const req = (matchExpressions: object[]) => mkPod('a', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } } } as never });
  ok(p.filter(req([{ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }]), n));
  ok(p.filter(req([{ key: 'disk', operator: 'NotIn', values: ['hdd'] }, { key: 'gen', operator: 'Gt', values: ['4'] }]), n));
  ok(p.filter(req([{ key: 'gpu', operator: 'DoesNotExist' }, { key: 'disk', operator: 'Exists' }]), n));
  assert.ok(!isSuccess(p.filter(req([{ key: 'gen', operator: 'Lt', values: ['5'] }]), n)));
  assert.ok(!isSuccess(p.filter(req([{ key: 'gpu', operator: 'Exists' }]), n)));
  const byName = mkPod('a', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['w1'] }] }] } } } } });
  ok(p.filter(byName, n));
  assert.ok(!isSuccess(p.filter(byName, mkNode('w2'))));
  const pref = mkPod('a', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } } } });
  assert.equal(p.score(pref, n), 10);
  assert.equal(p.score(pref, mkNode('w2')), 0);
});

test('NodePorts: a host port is taken once per node', () => {
  const p = new NodePorts();
  const withPort = mkPod('a', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] } });
  const n = mkNode('n');
  ok(p.filter(withPort, n));
  n.addPod('default/other', { ...withPort, metadata: { name: 'other', namespace: 'default' } });
  fails(p.filter(withPort, n), "node(s) didn't have free ports for the requested pod ports");
  ok(p.filter(mkPod('b'), n));
});

test('NodeResourcesFit: requests vs allocatable minus bound pods, pod count', () => {
  const p = new NodeResourcesFit();
  const n = mkNode('n', { cpu: '1', memory: '1Gi', pods: '2' });
  ok(p.filter(mkPod('a', { cpu: '600m', memory: '512Mi' }), n));
  n.addPod('default/x', mkPod('x', { cpu: '600m', memory: '512Mi' }));
  assert.deepEqual(p.filter(mkPod('a', { cpu: '600m', memory: '600Mi' }), n).reasons, ['Insufficient cpu', 'Insufficient memory']);
  ok(p.filter(mkPod('a', { cpu: '400m' }), n));
  n.addPod('default/y', mkPod('y'));
  fails(p.filter(mkPod('a'), n), 'Too many pods');
  n.removePod('default/y');
  n.removePod('default/x');
  assert.equal(n.requested.get('cpu'), 0);
  // init containers: the max of any one of them, not the sum
  const init = mkPod('i', { cpu: '100m', spec: { initContainers: [{ name: 'i1', resources: { requests: { cpu: '500m' } } }, { name: 'i2', resources: { requests: { cpu: '300m' } } }] } });
  assert.equal(podRequests(init).get('cpu'), 500);
  // a limit alone counts as the request
  assert.equal(podRequests({ spec: { containers: [{ name: 'c', resources: { limits: { memory: '1Gi' } } }] } }).get('memory'), 2 ** 30);
});

test('LeastAllocated prefers the emptier node', () => {
  const p = new LeastAllocated();
  const busy = mkNode('busy');
  busy.addPod('default/x', mkPod('x', { cpu: '1500m', memory: '3Gi' }));
  assert.ok(p.score(mkPod('a'), mkNode('idle')) > p.score(mkPod('a'), busy));
});

test('BalancedAllocation prefers the node where cpu and memory end up evenly used', () => {
  const p = new BalancedAllocation();
  // Both nodes are equally busy in sum; one is lopsided (cpu-heavy), the other even.
  const lopsided = mkNode('lopsided', { cpu: '2', memory: '4Gi', pods: '110' });
  lopsided.addPod('default/x', mkPod('x', { cpu: '1600m', memory: '0' }));
  const even = mkNode('even', { cpu: '2', memory: '4Gi', pods: '110' });
  even.addPod('default/y', mkPod('y', { cpu: '800m', memory: '1638Mi' }));
  const pod = mkPod('a', { cpu: '200m', memory: '512Mi' });
  assert.ok(p.score(pod, even) > p.score(pod, lopsided), `${p.score(pod, even)} vs ${p.score(pod, lopsided)}`);
  // A pod that evens out a lopsided node scores it highest of all.
  const memHeavy = mkPod('m', { cpu: '0', memory: '3Gi' });
  assert.ok(p.score(memHeavy, lopsided) > p.score(pod, lopsided));
});

test('fit error message: counted reasons, sorted, as upstream prints it', () => {
  const statuses = new Map<string, Status>([
    ['master', { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'] }],
    ['w1', { code: 'Unschedulable', reasons: ['Insufficient cpu'] }],
    ['w2', { code: 'Unschedulable', reasons: ['Insufficient cpu'] }],
  ]);
  assert.equal(fitErrorMessage(3, statuses),
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.');
  assert.equal(fitErrorMessage(0, new Map()), 'no nodes available to schedule pods');
});
