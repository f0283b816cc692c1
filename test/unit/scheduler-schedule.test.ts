// Whole scheduling decisions over the cache: replicas spread across workers (assumed pods
// included), the tainted master is skipped, and the unschedulable message names why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from '../../control/scheduler/cache.js';
import { fitErrorMessage } from '../../control/scheduler/framework.js';
import { defaultProfile } from '../../control/scheduler/plugins/index.js';
import { schedulePod } from '../../control/scheduler/schedule.js';
import { Spreading } from '../../control/scheduler/plugins/spreading.js';
import { nodeChanged } from '../../control/scheduler/scheduler.js';
import { mkNode, mkPod } from './scheduler-fixtures.js';

function cluster(): SchedulerCache {
  const c = new SchedulerCache(1000);
  c.setNode(mkNode('master', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }).node!);
  c.setNode(mkNode('worker-1').node!);
  c.setNode(mkNode('worker-2').node!);
  return c;
}

function place(c: SchedulerCache, pods: Pod[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of pods) {
    const d = schedulePod(p, c.nodeInfos(), defaultProfile());
    assert.ok(d.node, 'should schedule');
    c.assume(p, d.node!); // as the scheduler does before the binding returns
    counts[d.node!] = (counts[d.node!] ?? 0) + 1;
  }
  return counts;
}

test('two replicas land one per worker, never on the tainted master', () => {
  for (let round = 0; round < 20; round++) {
    const c = cluster();
    const counts = place(c, [mkPod('a', { owner: 'rs1' }), mkPod('b', { owner: 'rs1' })]);
    assert.deepEqual(counts, { 'worker-1': 1, 'worker-2': 1 });
  }
});

test('four replicas land two per worker, even with other pods around', () => {
  for (let round = 0; round < 20; round++) {
    const c = cluster();
    // an unrelated pod already on worker-1 must not skew the replicas' spreading
    c.addPod({ ...mkPod('other', { owner: 'other-rs', cpu: '100m' }), spec: { ...mkPod('other').spec!, nodeName: 'worker-1' } });
    const pods = [0, 1, 2, 3].map((i) => mkPod(`r${i}`, { owner: 'rs1' }));
    assert.deepEqual(place(c, pods), { 'worker-1': 2, 'worker-2': 2 });
  }
});

test('ties are broken at random: single pods of different owners use both workers', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const d = schedulePod(mkPod(`p${i}`, { owner: `o${i}` }), cluster().nodeInfos(), defaultProfile());
    seen.add(d.node!);
  }
  assert.deepEqual([...seen].sort(), ['worker-1', 'worker-2']);
});

test('spreading score: fewer siblings scores higher; ownerless pods group by labels', () => {
  const s = new Spreading();
  const c = cluster();
  c.addPod({ ...mkPod('x', { labels: { app: 'db' } }), spec: { ...mkPod('x').spec!, nodeName: 'worker-1' } });
  const infos = c.nodeInfos().filter((n) => n.name !== 'master');
  const raw = infos.map((n) => s.score(mkPod('y', { labels: { app: 'db' } }), n));
  s.normalize(mkPod('y'), raw);
  assert.deepEqual(raw, [0, 100]);
});

test('nothing fits: the decision carries per-node reasons for the message', () => {
  const c = cluster();
  const d = schedulePod(mkPod('huge', { cpu: '64' }), c.nodeInfos(), defaultProfile());
  assert.ok(d.node === undefined);
  assert.equal(d.numNodes, 3);
  assert.equal(fitErrorMessage(d.numNodes, d.statuses),
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.');
});

test('assumed pods count until forgotten; confirmed pods replace them; expiry drops stale ones', () => {
  const c = cluster();
  const p = mkPod('a', { cpu: '1500m' });
  c.assume(p, 'worker-1');
  assert.ok(c.isAssumed('default/a'));
  const w1 = () => c.nodeInfos().find((n) => n.name === 'worker-1')!;
  assert.equal(w1().requested.get('cpu'), 1500);
  c.forget(p);
  assert.equal(w1().requested.get('cpu'), 0);
  c.assume(p, 'worker-1');
  c.addPod({ ...p, spec: { ...p.spec!, nodeName: 'worker-1' } }); // the watch confirms
  assert.ok(!c.isAssumed('default/a'));
  assert.equal(w1().requested.get('cpu'), 1500);
  const q = mkPod('b', { cpu: '100m' });
  c.assume(q, 'worker-2');
  c.finishBinding(q, 0);
  assert.equal(c.cleanupExpired(5000), 1);
  assert.ok(!c.isAssumed('default/b'));
});

test('only scheduling-relevant node changes wake parked pods', () => {
  const a = mkNode('n').node!;
  const heartbeat = { ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'later' }] } };
  assert.ok(!nodeChanged(a, heartbeat));
  assert.ok(nodeChanged(a, { ...a, spec: { taints: [] , unschedulable: true } }));
  assert.ok(nodeChanged(a, { ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'False' }] } }));
});
