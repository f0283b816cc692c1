// Pod CIDR allocation: /24s out of 10.244.0.0/16, no duplicates, existing ones kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrAllocator, formatIp, parseCidr } from '../../control/controllers/nodeipam/cidr-allocator.js';

test('parse and format IPv4', () => {
  assert.deepEqual(parseCidr('10.244.0.0/16'), { base: (10 * 256 + 244) * 65536, bits: 16 });
  assert.equal(parseCidr('10.244.7.9/24').base, parseCidr('10.244.7.0/24').base);
  assert.equal(formatIp(parseCidr('192.168.56.10/32').base), '192.168.56.10');
  assert.throws(() => parseCidr('10.244.0.0'));
  assert.throws(() => parseCidr('300.0.0.0/8'));
});

test('allocates distinct /24s in order and skips occupied ones', () => {
  const a = new CidrAllocator('10.244.0.0/16', 24);
  assert.equal(a.occupy('10.244.1.0/24'), true);
  assert.equal(a.occupy('10.244.1.0/24'), false); // already taken
  assert.equal(a.occupy('192.168.0.0/24'), false); // outside the range
  const got = [a.allocate(), a.allocate(), a.allocate()];
  assert.deepEqual(got, ['10.244.0.0/24', '10.244.2.0/24', '10.244.3.0/24']);
  a.release('10.244.0.0/24');
  assert.equal(a.isUsed('10.244.0.0/24'), false);
});

test('rebuilt from existing nodes it never hands out a used CIDR; exhausts cleanly', () => {
  const a = new CidrAllocator('10.244.0.0/30', 31); // two subnets
  a.occupy('10.244.0.2/31');
  assert.equal(a.allocate(), '10.244.0.0/31');
  assert.equal(a.allocate(), undefined);
  const big = new CidrAllocator();
  const seen = new Set<string>();
  for (let i = 0; i < 256; i++) seen.add(big.allocate()!);
  assert.equal(seen.size, 256);
  assert.equal(big.allocate(), undefined);
});
