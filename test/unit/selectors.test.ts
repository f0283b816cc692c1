// Label and field selectors as kubectl sends them (-l, --field-selector).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, parseFieldSelector, labelSelectorMatcher } from '../../control/api/selectors.js';

test('label selector: equality, set-based, existence', () => {
  const m = parseLabelSelector('app=nginx,tier in (web, front),!canary,env!=prod');
  assert.ok(m({ app: 'nginx', tier: 'web' }));
  assert.ok(!m({ app: 'nginx', tier: 'db' }));
  assert.ok(!m({ app: 'nginx', tier: 'web', canary: 'y' }));
  assert.ok(!m({ app: 'nginx', tier: 'web', env: 'prod' }));
  assert.throws(() => parseLabelSelector('a in b'), (e: any) => e.code === 400);
});

test('metav1.LabelSelector with matchExpressions', () => {
  const m = labelSelectorMatcher({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'v', operator: 'NotIn', values: ['1'] }] });
  assert.ok(m({ app: 'x', v: '2' }));
  assert.ok(!m({ app: 'x', v: '1' }));
  assert.ok(!labelSelectorMatcher(undefined)({ app: 'x' }), 'a nil selector matches nothing');
});

test('field selector over dotted paths', () => {
  const m = parseFieldSelector('spec.nodeName=worker-1,status.phase!=Failed');
  assert.ok(m({ spec: { nodeName: 'worker-1' }, status: { phase: 'Running' } }));
  assert.ok(!m({ spec: { nodeName: 'worker-2' } }));
  assert.ok(parseFieldSelector('spec.nodeName=')({ spec: {} }), 'empty value matches unset');
});
