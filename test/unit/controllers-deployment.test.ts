// Deployment controller pure logic: pod-template-hash, rollout arithmetic, status/conditions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { computeHash, equalIgnoreHash, fnv32a, safeEncode, HASH_LABEL } from '../../control/controllers/deployment/template-hash.js';
import { fenceposts, newRSReplicas, oldRSScaleDown, resolveIntOrPercent, rsToCleanUp, REVISION } from '../../control/controllers/deployment/rollout.js';
import { calculateStatus, isComplete, statusEqual } from '../../control/controllers/deployment/status.js';
import { findNewRS } from '../../control/controllers/deployment/deployment-controller.js';
import { SAFE_ALPHABET } from '../../control/controllers/replicaset/pod-names.js';

const template = (image = 'nginx:1.25') => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] },
});

function deploy(replicas: number, extra: Partial<Deployment['spec']> = {}): Deployment {
  return { metadata: { name: 'web', namespace: 'default', generation: 1 }, spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(), ...extra } };
}
function rs(name: string, replicas: number, available: number, created = '2024-01-01T00:00:00Z', rev = '1'): ReplicaSet {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: created, annotations: { [REVISION]: rev }, generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } } },
    status: { replicas, availableReplicas: available, readyReplicas: available, observedGeneration: 1 },
  };
}

test('fnv32a matches the FNV-1a reference values', () => {
  assert.equal(fnv32a(new Uint8Array()), 0x811c9dc5);
  assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
  assert.equal(fnv32a(new TextEncoder().encode('foobar')), 0xbf9cf968);
});

test('safeEncode maps each byte onto the safe alphabet', () => {
  assert.equal(safeEncode('0123456789').length, 10);
  for (const ch of safeEncode(String(0xffffffff))) assert.ok(SAFE_ALPHABET.includes(ch));
});

test('template hash: stable, key-order independent, ignores its own label, changes with the template', () => {
  const h = computeHash(template());
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(template()), h);
  const reordered = { spec: { containers: [{ ports: [{ containerPort: 80 }], image: 'nginx:1.25', name: 'nginx' }] }, metadata: { labels: { app: 'web' } } };
  assert.equal(computeHash(reordered), h);
  const labelled = template();
  (labelled.metadata.labels as Record<string, string>)[HASH_LABEL] = h;
  assert.equal(computeHash(labelled), h);
  assert.notEqual(computeHash(template('nginx:1.26')), h);
  // what `kubectl rollout undo` sends back: Go's zero creationTimestamp as null
  assert.equal(computeHash({ ...template(), metadata: { ...template().metadata, creationTimestamp: null } } as never), h);
  assert.notEqual(computeHash(template(), 1), h);
  assert.notEqual(computeHash(template(), 1), computeHash(template(), 2));
  assert.ok(equalIgnoreHash(labelled, template()));
  assert.ok(!equalIgnoreHash(template('a'), template('b')));
});

test('int-or-percent: surge rounds up, unavailable down, both zero → one unavailable', () => {
  assert.equal(resolveIntOrPercent('25%', 10, true, '25%'), 3);
  assert.equal(resolveIntOrPercent('25%', 10, false, '25%'), 2);
  assert.equal(resolveIntOrPercent(undefined, 4, true, '25%'), 1);
  assert.equal(resolveIntOrPercent(2, 4, true, '25%'), 2);
  assert.deepEqual(fenceposts(deploy(2)), [1, 0]);
  assert.deepEqual(fenceposts(deploy(4)), [1, 1]);
  assert.deepEqual(fenceposts(deploy(3, { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } })), [0, 1]);
});

test('new ReplicaSet grows within maxSurge and shrinks straight to desired', () => {
  const d = deploy(4); // surge 1
  const newRS = rs('web-new', 0, 0);
  const old = rs('web-old', 4, 4);
  assert.equal(newRSReplicas(d, [newRS, old], newRS), 1);
  assert.equal(newRSReplicas(d, [rs('n', 0, 0)], rs('n', 0, 0)), 4); // fresh deployment: all at once
  assert.equal(newRSReplicas(deploy(2), [rs('n', 4, 4)], rs('n', 4, 4)), 2); // scale down
  assert.equal(newRSReplicas(d, [rs('n', 1, 0), rs('o', 4, 4)], rs('n', 1, 0)), 1); // at max total already
});

test('old ReplicaSets shrink only as far as maxUnavailable allows', () => {
  const d = deploy(2); // surge 1, unavailable 0
  const newRS = rs('web-new', 1, 0, '2024-01-02T00:00:00Z', '2');
  const old = rs('web-old', 2, 2);
  assert.deepEqual([...oldRSScaleDown(d, [newRS, old], newRS, [old])], []); // new pod not available yet
  const ready = rs('web-new', 1, 1, '2024-01-02T00:00:00Z', '2');
  assert.deepEqual([...oldRSScaleDown(d, [ready, old], ready, [old])], [['web-old', 1]]);
  // unhealthy old replicas go first, regardless of availability
  const sick = rs('web-old', 2, 0);
  const lenient = (u: number) => deploy(2, { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: u } } });
  assert.deepEqual([...oldRSScaleDown(lenient(2), [newRS, sick], newRS, [sick])], [['web-old', 0]]);
  // ... but never below desired − maxUnavailable counting the new ReplicaSet's unavailable pods
  assert.deepEqual([...oldRSScaleDown(lenient(1), [newRS, sick], newRS, [sick])], [['web-old', 1]]);
});

test('revision history: idle old ReplicaSets beyond the limit are cleaned, oldest revision first', () => {
  const old = [rs('a', 0, 0, undefined, '1'), rs('b', 0, 0, undefined, '2'), rs('c', 0, 0, undefined, '3'), rs('d', 1, 1, undefined, '4')];
  assert.deepEqual(rsToCleanUp(deploy(1, { revisionHistoryLimit: 1 }), old).map((r) => r.metadata!.name), ['a', 'b']);
  assert.deepEqual(rsToCleanUp(deploy(1), old), []);
});

test('status: complete rollout → Available + Progressing NewReplicaSetAvailable', () => {
  const d = deploy(2);
  const newRS = rs('web-abc', 2, 2);
  const s = calculateStatus(d, [newRS], newRS, undefined, new Date('2024-01-01T00:00:00Z'));
  assert.equal(s.replicas, 2); assert.equal(s.updatedReplicas, 2); assert.equal(s.availableReplicas, 2);
  assert.equal(s.readyReplicas, 2); assert.equal(s.observedGeneration, 1);
  assert.ok(isComplete(d, s));
  const cond = Object.fromEntries(s.conditions!.map((c) => [c.type, c]));
  assert.equal(cond.Available!.status, 'True');
  assert.equal(cond.Progressing!.reason, 'NewReplicaSetAvailable');
  assert.equal(cond.Progressing!.message, 'ReplicaSet "web-abc" has successfully progressed.');
  // recomputing later changes nothing: no status write loop
  const again = calculateStatus({ ...d, status: s }, [newRS], newRS, undefined, new Date('2024-01-01T00:05:00Z'));
  assert.ok(statusEqual(s, again));
});

test('status: mid-rollout counts and conditions', () => {
  const d = deploy(2);
  const newRS = rs('web-new', 1, 0, '2024-01-02T00:00:00Z', '2');
  const old = rs('web-old', 2, 2);
  const s = calculateStatus(d, [newRS, old], newRS, 'created');
  assert.equal(s.replicas, 3); assert.equal(s.updatedReplicas, 1); assert.equal(s.availableReplicas, 2);
  assert.ok(!isComplete(d, s));
  assert.equal(s.conditions!.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetCreated');
  assert.equal(s.conditions!.find((c) => c.type === 'Available')!.status, 'True');
});

test('status equality treats zero counts as absent', () => {
  assert.ok(statusEqual({ replicas: 0, conditions: [] }, { conditions: [] }));
  assert.ok(!statusEqual({ replicas: 1 }, { replicas: 2 }));
});

test('findNewRS: equal template first, else the same hash label', () => {
  const d = deploy(1);
  const h = computeHash(d.spec!.template);
  const a: ReplicaSet = { metadata: { name: 'web-x', labels: { [HASH_LABEL]: 'zzz' } }, spec: { selector: {}, template: { ...template(), metadata: { labels: { app: 'web', [HASH_LABEL]: 'zzz' } } } } };
  const b: ReplicaSet = { metadata: { name: 'web-y', labels: { [HASH_LABEL]: h } }, spec: { selector: {}, template: template('other') } };
  assert.equal(findNewRS(d, [b, a], h)?.metadata?.name, 'web-x');
  assert.equal(findNewRS(d, [b], h)?.metadata?.name, 'web-y');
  assert.equal(findNewRS(d, [], h), undefined);
});
