// Unit tests of the iptables-wrapper's backend decision, case by case as in
// kubernetes-sigs/iptables-wrappers: hints first, then rule counts, nft on a tie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendFor, countRules, decideMode, detectBackend, hasHint } from '../../agent/proxy/iptables/wrapper.js';

const none = { nftHint: false, legacyHint: false, nftRules: 0, legacyRules: 0 };

test('both backends empty → nft', () => assert.equal(decideMode(none), 'nft'));
test('more legacy rules → legacy', () => assert.equal(decideMode({ ...none, legacyRules: 12, nftRules: 3 }), 'legacy'));
test('more nft rules → nft', () => assert.equal(decideMode({ ...none, legacyRules: 2, nftRules: 30 }), 'nft'));
test('a tie → nft', () => assert.equal(decideMode({ ...none, legacyRules: 5, nftRules: 5 }), 'nft'));
test('kubelet hint in nft wins over legacy rule counts', () =>
  assert.equal(decideMode({ ...none, nftHint: true, legacyRules: 500 }), 'nft'));
test('kubelet hint in legacy wins over nft rule counts', () =>
  assert.equal(decideMode({ ...none, legacyHint: true, nftRules: 500 }), 'legacy'));
test('hints in both → nft (checked first, as upstream)', () =>
  assert.equal(decideMode({ ...none, legacyHint: true, nftHint: true }), 'nft'));

test('counting rules and spotting hints in save output', () => {
  const save = '*mangle\n:PREROUTING ACCEPT [0:0]\n:KUBE-IPTABLES-HINT - [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n*nat\n-A X -j Y\nCOMMIT\n';
  assert.equal(countRules(save), 2);
  assert.ok(hasHint(save));
  assert.ok(hasHint(':KUBE-KUBELET-CANARY - [0:0]\n'));
  assert.ok(!hasHint(':KUBE-IPTABLES-HINTS - [0:0]\n:KUBE-SERVICES - [0:0]\n'));
});

test('binaries per backend, and a forced mode through TSKUBE_IPTABLES_MODE', async () => {
  assert.deepEqual(backendFor('legacy'), { mode: 'legacy', iptables: 'iptables-legacy', save: 'iptables-legacy-save', restore: 'iptables-legacy-restore' });
  assert.equal(backendFor('default').restore, 'iptables-restore');
  assert.equal((await detectBackend([], { TSKUBE_IPTABLES_MODE: 'legacy' })).mode, 'legacy');
  assert.equal((await detectBackend([], { TSKUBE_IPTABLES_MODE: 'nft' })).save, 'iptables-nft-save');
});
