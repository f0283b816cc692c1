// Back-off (CrashLoopBackOff / ImagePullBackOff timing) with a fake clock, and quantities.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../agent/kubelet/util/backoff.js';
import { bytes, milliCpu, parseQuantity } from '../../control/client/quantity.js';
import { microTime, nsToMs, nsToTime, rfc3339 } from '../../agent/kubelet/util/time.js';

test('back-off doubles from 10 s to the 5 min cap', () => {
  let now = 0;
  const b = new Backoff(10_000, 300_000, () => now);
  const seen = [];
  for (let i = 0; i < 7; i++) seen.push(b.next('k'));
  assert.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
});

test('in back-off for the current delay since the event, then free', () => {
  let now = 1_000_000;
  const b = new Backoff(10_000, 300_000, () => now);
  assert.equal(b.inBackoffSince('k', now), false); // never restarted: go at once
  b.next('k');
  const exited = now;
  now += 5_000;
  assert.equal(b.inBackoffSince('k', exited), true);
  assert.equal(b.remaining('k', exited), 5_000);
  now += 5_001;
  assert.equal(b.inBackoffSince('k', exited), false);
});

test('quiet for 2·max resets the delay; keys are independent; resetPrefix', () => {
  let now = 0;
  const b = new Backoff(10_000, 300_000, () => now);
  b.next('u1/a'); b.next('u1/a'); b.next('u2/a');
  assert.equal(b.get('u1/a'), 20_000);
  assert.equal(b.get('u2/a'), 10_000);
  now += 600_001;
  assert.equal(b.next('u1/a'), 10_000);
  b.resetPrefix('u1/');
  assert.equal(b.get('u1/a'), 0);
  assert.equal(b.get('u2/a'), 10_000);
});

test('quantities', () => {
  assert.equal(milliCpu('250m'), 250);
  assert.equal(milliCpu('1.5'), 1500);
  assert.equal(milliCpu(2), 2000);
  assert.equal(bytes('128Mi'), 128 * 1024 * 1024);
  assert.equal(bytes('1G'), 1e9);
  assert.equal(bytes('1e3'), 1000);
  assert.equal(parseQuantity('100'), 100);
  assert.throws(() => parseQuantity('12 bananas'));
});

test('time conversions', () => {
  assert.equal(nsToMs('1700000000123456789'), 1700000000123);
  assert.equal(nsToMs('0'), 0);
  assert.equal(nsToTime('0'), undefined);
  assert.equal(rfc3339(Date.parse('2024-03-04T05:06:07.890Z')), '2024-03-04T05:06:07Z');
  assert.equal(microTime(Date.parse('2024-03-04T05:06:07.890Z')), '2024-03-04T05:06:07.890000Z');
});
