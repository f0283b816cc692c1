// Kubernetes quantity parsing for the scheduler: cpu in millicores, memory in bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intValue, milliCpu, parseQuantity } from '../../control/client/quantity.js';

test('cpu quantities in millicores', () => {
  assert.equal(milliCpu('100m'), 100);
  assert.equal(milliCpu('1'), 1000);
  assert.equal(milliCpu('0.5'), 500);
  assert.equal(milliCpu('2.25'), 2250);
  assert.equal(milliCpu(4), 4000);
  assert.equal(milliCpu('1n'), 1); // rounded up, as upstream MilliValue
  assert.equal(milliCpu(undefined), 0);
});

test('memory quantities in bytes, binary and decimal suffixes, exponents', () => {
  assert.equal(intValue('128Mi'), 128 * 2 ** 20);
  assert.equal(intValue('1Gi'), 2 ** 30);
  assert.equal(intValue('1G'), 1e9);
  assert.equal(intValue('1k'), 1000);
  assert.equal(intValue('1Ki'), 1024);
  assert.equal(intValue('1e3'), 1000);
  assert.equal(intValue('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(intValue('110'), 110);
  assert.equal(intValue('500m'), 1); // fractional bytes round up
  assert.equal(parseQuantity('2E'), 2e18);
  assert.equal(parseQuantity('.5'), 0.5);
});

test('malformed quantities throw; the lenient helpers read them as 0', () => {
  for (const bad of ['', 'abc', '1Z', '1 Gi', '--1']) assert.throws(() => parseQuantity(bad), bad);
  assert.equal(milliCpu('garbage'), 0);
});
