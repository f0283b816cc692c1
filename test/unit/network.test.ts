// Unit tests of the node network's pure parts: host-gw route wanted/diff, the CNI conflist
// and its atomic write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import { CONFLIST_NAME, gatewayOf, renderConflist, writeConflist } from '../../agent/network/cni-config.js';
import { desiredRoutes, diffRoutes } from '../../agent/network/routes.js';

const node = (name: string, podCIDR?: string, ip?: string): Node => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
  status: ip ? { addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] } : {},
});

test('desired routes: every other node with a pod CIDR and an InternalIP', () => {
  const want = desiredRoutes([
    node('master', '10.244.0.0/24', '192.168.56.10'),
    node('worker-1', '10.244.1.0/24', '192.168.56.11'),
    node('worker-2', '10.244.2.0/24', '192.168.56.12'),
    node('worker-3', undefined, '192.168.56.13'), // no CIDR yet
    node('worker-4', '10.244.4.0/24'), // no address yet
  ], 'worker-1');
  assert.deepEqual([...want], [['10.244.0.0/24', '192.168.56.10'], ['10.244.2.0/24', '192.168.56.12']]);
});

test('route diff: add missing, fix wrong gateway, remove nodes that left, keep the rest', () => {
  const desired = new Map([['10.244.0.0/24', '192.168.56.10'], ['10.244.2.0/24', '192.168.56.12'], ['10.244.3.0/24', '192.168.56.13']]);
  const current = new Map([['10.244.0.0/24', '192.168.56.10'], ['10.244.2.0/24', '192.168.56.99'], ['10.244.5.0/24', '192.168.56.15']]);
  assert.deepEqual(diffRoutes(desired, current), {
    replace: [{ cidr: '10.244.2.0/24', via: '192.168.56.12' }, { cidr: '10.244.3.0/24', via: '192.168.56.13' }],
    remove: ['10.244.5.0/24'],
  });
  assert.deepEqual(diffRoutes(desired, new Map(desired)), { replace: [], remove: [] }); // idempotent
});

test('gateway is the first address of the pod CIDR', () => {
  assert.equal(gatewayOf('10.244.1.0/24'), '10.244.1.1');
  assert.equal(gatewayOf('10.244.7.128/25'), '10.244.7.129');
  assert.equal(gatewayOf('10.244.3.5/24'), '10.244.3.1');
});

test('conflist: bridge cni0 + host-local over the pod CIDR, no masquerade, portmap', () => {
  assert.deepEqual(renderConflist({ podCIDR: '10.244.2.0/24', ipamDataDir: '/x/networks' }), {
    cniVersion: '1.0.0',
    name: 'tskube',
    plugins: [
      {
        type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: {
          type: 'host-local', ranges: [[{ subnet: '10.244.2.0/24', gateway: '10.244.2.1' }]],
          routes: [{ dst: '0.0.0.0/0' }], dataDir: '/x/networks',
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });
});

test('conflist is written atomically, only when it changes', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tskube-cni-'));
  try {
    const confDir = path.join(dir, 'net.d');
    assert.equal(await writeConflist(confDir, { podCIDR: '10.244.1.0/24', ipamDataDir: path.join(dir, 'networks') }), true);
    assert.equal(await writeConflist(confDir, { podCIDR: '10.244.1.0/24', ipamDataDir: path.join(dir, 'networks') }), false);
    assert.deepEqual(await readdir(confDir), [CONFLIST_NAME]); // no temp file left behind
    const conf = JSON.parse(await readFile(path.join(confDir, CONFLIST_NAME), 'utf8'));
    assert.equal(conf.plugins[0].ipam.ranges[0][0].subnet, '10.244.1.0/24');
    assert.equal(await writeConflist(confDir, { podCIDR: '10.244.9.0/24' }), true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
