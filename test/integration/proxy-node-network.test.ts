// The node network (agent/network) against a real kernel, next to the kube-proxy test that
// shares its fake API: in a scratch netns, startNodeNetwork writes the CNI config once the
// node gets a pod CIDR and keeps host-gw routes as nodes come and go. Needs root.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiClient } from '../../control/client/api-client.js';
import { startNodeNetwork } from '../../agent/network/index.js';
import { FakeApi } from './proxy-fake-api.js';

const NS = 'tskube-nn-test';
const ipn = (...a: string[]) => execFileSync('ip', ['-n', NS, ...a], { encoding: 'utf8' });
const cleanup = () => { try { execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' }); } catch { /* absent */ } };
after(cleanup);

const node = (name: string, podCIDR: string | undefined, ip: string) =>
  ({ metadata: { name }, spec: podCIDR ? { podCIDR } : {}, status: { addresses: [{ type: 'InternalIP', address: ip }] } });

async function until(what: string, cond: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 100; i++) { if (await cond()) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error(`timed out waiting for ${what}`);
}

test('CNI config after the pod CIDR arrives; host-gw routes follow nodes', { timeout: 30_000 }, async () => {
  cleanup();
  execFileSync('ip', ['netns', 'add', NS]);
  ipn('link', 'set', 'lo', 'up');
  ipn('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
  ipn('addr', 'add', '192.168.56.11/24', 'dev', 'eth0');
  ipn('link', 'set', 'eth0', 'up');
  ipn('link', 'set', 'peer0', 'up');
  const dir = await mkdtemp(path.join(tmpdir(), 'tskube-nn-'));
  const api = new FakeApi();
  const client = new ApiClient({ server: await api.listen() });
  api.put('nodes', node('worker-1', undefined, '192.168.56.11'));
  api.put('nodes', node('worker-2', '10.244.2.0/24', '192.168.56.12'));
  const net = await startNodeNetwork(client, {
    nodeName: 'worker-1', nodeIp: '192.168.56.11', cniConfDir: path.join(dir, 'cni/net.d'), commandPrefix: ['ip', 'netns', 'exec', NS],
  });
  try {
    const routes = () => ipn('route', 'show');
    await until('route to worker-2', () => routes().includes('10.244.2.0/24 via 192.168.56.12 dev eth0 proto 116'));
    assert.match(routes(), /10\.96\.0\.0\/12 dev eth0/); // no default route here: the service CIDR gets one

    api.put('nodes', node('worker-1', '10.244.1.0/24', '192.168.56.11'));
    assert.equal(await net.ready(), '10.244.1.0/24');
    const conf = JSON.parse(await readFile(path.join(dir, 'cni/net.d/10-tskube.conflist'), 'utf8'));
    assert.equal(conf.plugins[0].ipam.ranges[0][0].subnet, '10.244.1.0/24');
    assert.equal(conf.plugins[0].ipam.dataDir, path.join(dir, 'cni/networks'));
    assert.ok(!routes().includes('10.244.1.0/24'), 'no route to our own pod CIDR');

    api.put('nodes', node('master', '10.244.0.0/24', '192.168.56.10'));
    await until('route to master', () => routes().includes('10.244.0.0/24 via 192.168.56.10'));
    api.remove('nodes', '', 'worker-2');
    await until('route to worker-2 removed', () => !routes().includes('10.244.2.0/24'));
    assert.equal(execFileSync('ip', ['netns', 'exec', NS, 'sysctl', '-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' }).trim(), '1');
  } finally {
    await net.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
});
