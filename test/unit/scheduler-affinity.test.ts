// The scheduler plugins issue 5 adds: inter-pod affinity and anti-affinity (required, preferred,
// symmetric), topology spread constraints, volume binding, PreferNoSchedule and preferred node
// affinity through a whole scheduling decision.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { mkNode, mkPod } from './scheduler-fixtures.js';
import { isSuccess, fitErrorMessage, type Status } from '../../control/scheduler/framework.js';
import { InterPodAffinity, ERR_AFFINITY, ERR_ANTI_AFFINITY, ERR_EXISTING_ANTI } from '../../control/scheduler/plugins/inter-pod-affinity.js';
import { PodTopologySpread, ERR_SPREAD, ERR_SPREAD_LABEL } from '../../control/scheduler/plugins/pod-topology-spread.js';
import { VolumeBinding, ERR_VOLUME_NODE } from '../../control/scheduler/plugins/volume-binding.js';
import { defaultProfile } from '../../control/scheduler/plugins/index.js';
import { schedulePod } from '../../control/scheduler/schedule.js';
import type { NodeInfo } from '../../control/scheduler/node-info.js';

const ok = (s: Status) => assert.ok(isSuccess(s), JSON.stringify(s));
const fails = (s: Status, reason: string) => assert.deepEqual(s.reasons, [reason]);
const zoned = () => [mkNode('a1', { labels: { zone: 'a' } }), mkNode('a2', { labels: { zone: 'a' } }), mkNode('b1', { labels: { zone: 'b' } })];
const place = (n: NodeInfo, p: Pod) => n.addPod(`default/${p.metadata!.name}`, { ...p, spec: { ...p.spec!, nodeName: n.name } });
const filterAll = (plugin: InterPodAffinity | PodTopologySpread | VolumeBinding, pod: Pod, nodes: NodeInfo[]) => {
  const pre = plugin.preFilter(pod, nodes);
  return nodes.map((n) => (pre && !isSuccess(pre) ? pre : plugin.filter(pod, n)));
};

test('required pod affinity: only domains already running a matching pod; the first pod of a self-selecting group goes anywhere', () => {
  const nodes = zoned();
  const p = new InterPodAffinity();
  const pod = mkPod('web', { labels: { app: 'web' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [
    { topologyKey: 'zone', labelSelector: { matchLabels: { app: 'cache' } } }] } } } });
  filterAll(p, pod, nodes).forEach((s) => fails(s, ERR_AFFINITY)); // no cache anywhere, web does not match its own term
  place(nodes[0]!, mkPod('cache', { labels: { app: 'cache' } }));
  const r = filterAll(p, pod, nodes);
  ok(r[0]!); ok(r[1]!); fails(r[2]!, ERR_AFFINITY); // a2 shares zone a with the cache pod
  const self = mkPod('c2', { labels: { app: 'solo' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [
    { topologyKey: 'zone', labelSelector: { matchLabels: { app: 'solo' } } }] } } } });
  filterAll(p, self, zoned()).forEach(ok);
});

test('required anti-affinity by hostname keeps replicas apart; existing pods\' anti-affinity is honoured too', () => {
  const nodes = zoned();
  const p = new InterPodAffinity();
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] } };
  place(nodes[0]!, mkPod('w0', { spec: { affinity: anti } }));
  const r = filterAll(p, mkPod('w1', { spec: { affinity: anti } }), nodes);
  fails(r[0]!, ERR_ANTI_AFFINITY); ok(r[1]!); ok(r[2]!);
  const plain = filterAll(p, mkPod('plain'), nodes); // app=web, no terms of its own: w0's term rejects it on a1
  fails(plain[0]!, ERR_EXISTING_ANTI); ok(plain[1]!);
  assert.equal(fitErrorMessage(3, new Map([['a1', r[0]!], ['x', { code: 'Unschedulable', reasons: [ERR_ANTI_AFFINITY] }]])),
    "0/3 nodes are available: 2 node(s) didn't match pod anti-affinity rules.");
});

test('preferred pod anti-affinity scores the occupied zone lowest', () => {
  const nodes = zoned();
  place(nodes[0]!, mkPod('w0'));
  const pod = mkPod('w1', { spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 100, podAffinityTerm: { topologyKey: 'zone', labelSelector: { matchLabels: { app: 'web' } } } }] } } } });
  const d = schedulePod(pod, nodes, defaultProfile());
  assert.equal(d.node, 'b1');
});

test('topology spread DoNotSchedule: skew over zones, nodes without the key rejected', () => {
  const nodes = [...zoned(), mkNode('nolabel')];
  const p = new PodTopologySpread();
  place(nodes[0]!, mkPod('w0'));
  place(nodes[1]!, mkPod('w1'));
  const pod = mkPod('w2', { spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] } });
  const r = filterAll(p, pod, nodes);
  fails(r[0]!, ERR_SPREAD); fails(r[1]!, ERR_SPREAD); ok(r[2]!); fails(r[3]!, ERR_SPREAD_LABEL);
  const soft = mkPod('w3', { spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }] } });
  assert.equal(schedulePod(soft, zoned().map((n, i) => { if (i < 2) place(n, mkPod(`x${i}`)); return n; }), defaultProfile()).node, 'b1');
});

test('volume binding: a missing claim is unresolvable; a bound local volume pins the pod to its node', () => {
  const pod = mkPod('db', { spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] } });
  const none = new VolumeBinding();
  const r = filterAll(none, pod, zoned());
  assert.deepEqual(r[0]!.reasons, ['persistentvolumeclaim "data" not found']);
  assert.equal(r[0]!.code, 'UnschedulableAndUnresolvable');
  const local = new VolumeBinding({
    claim: () => ({ spec: { volumeName: 'pv1' } }),
    volume: () => ({ spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['b1'] }] }] } } } }),
  });
  const r2 = filterAll(local, pod, zoned());
  fails(r2[0]!, ERR_VOLUME_NODE); ok(r2[2]!);
});

test('PreferNoSchedule taints and preferred node affinity steer, but do not forbid', () => {
  const nodes = [mkNode('tainted', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), mkNode('clean')];
  assert.equal(schedulePod(mkPod('p'), nodes, defaultProfile()).node, 'clean');
  assert.equal(schedulePod(mkPod('p'), [nodes[0]!], defaultProfile()).node, 'tainted');
  const pref = mkPod('q', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }] } } } });
  for (let i = 0; i < 5; i++) assert.equal(schedulePod(pref, zoned(), defaultProfile()).node, 'b1');
});
