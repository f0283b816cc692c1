// The Node this kubelet registers against a real runtime and `tskube server`: capacity and
// allocatable from the machine (cpu, memory, pods 110, ephemeral-storage), nodeInfo, the four
// conditions from real readings, and the kube-node-lease Lease renewed (renewTime advances). Needs root.
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { startKubeletStack, waitFor, type KubeletStack } from './cri-kubelet-stack.js';

const NODE = 'kl-node';
let stack: KubeletStack;
let client: ApiClient;

before(async () => {
  stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.244.0/24' });
  client = stack.client;
});

after(async () => { await stack?.stop(); });

test('node status: capacity, allocatable, nodeInfo and conditions from the machine', async () => {
  const n = await waitFor('node Ready', async () => {
    const x = await client.get<Node>(R.nodes, NODE);
    return x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && x;
  }, 30_000);
  const cap = n.status!.capacity!;
  assert.equal(cap.cpu, String(os.cpus().length));
  assert.equal(cap.memory, `${Math.floor(os.totalmem() / 1024)}Ki`);
  assert.equal(cap.pods, '110');
  assert.match(cap['ephemeral-storage'] ?? '', /^\d+Ki$/);
  assert.deepEqual(n.status!.allocatable, cap);
  const info = n.status!.nodeInfo!;
  assert.equal(info.kernelVersion, os.release());
  assert.match(info.containerRuntimeVersion, /^(containerd|docker):\/\/\S+$/);
  // This test box is not under pressure: every pressure condition reads False from real readings.
  const c = Object.fromEntries(n.status!.conditions!.map((x) => [x.type, x.status]));
  assert.deepEqual(c, { MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False', Ready: 'True' });
});

test('the node Lease is renewed: renewTime advances', async () => {
  const get = () => client.get<Lease>(R.leases, NODE, 'kube-node-lease');
  const first = await waitFor('lease', () => get());
  assert.equal(first.spec!.holderIdentity, NODE);
  assert.equal(first.metadata!.ownerReferences?.[0]?.name, NODE);
  const t1 = Date.parse(first.spec!.renewTime!);
  const next = await waitFor('renewTime to advance', async () => {
    const l = await get();
    return Date.parse(l.spec!.renewTime!) > t1 && l;
  }, 15_000, 500); // renewed every 10 s
  const gap = Date.parse(next.spec!.renewTime!) - t1;
  assert.ok(gap >= 9_000 && gap <= 12_000, `renewed after ${gap} ms`);
});
