// The node status loop writes to the API only when the status changed (heartbeat times aside),
// and writes again when the API's copy differs from what this kubelet would write (e.g. the
// node lifecycle controller set Ready=Unknown); informers cache objects without managedFields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, NodeStatus } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../control/client/api-client.js';
import { stripManagedFields } from '../../control/client/informer.js';
import { defaultConfig } from '../../agent/kubelet/config.js';
import { NodeStatusLoop } from '../../agent/kubelet/nodestatus/node-status-loop.js';
import type { CriRuntime } from '../../agent/cri/runtime.js';
import { logger } from '../../control/client/log.js';

function fakeApi() {
  const node: { -readonly [K in keyof Node]: Node[K] } = { metadata: { name: 'n1', uid: 'u1' }, status: {} };
  const calls = { patches: 0, gets: 0 };
  const client = {
    async create() { return node; },
    async get() { calls.gets++; return structuredClone(node); },
    async patch(_r: unknown, _n: string, _ns: unknown, body: { status?: NodeStatus }) { calls.patches++; if (body.status) node.status = structuredClone(body.status); return node; },
  } as unknown as ApiClient;
  return { client, node, calls };
}

const cri = { async status() { return { status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }] } }; } } as unknown as CriRuntime;
const cfg = defaultConfig({ nodeName: 'n1', nodeIp: '10.0.0.1', server: 'http://x', runtimeEndpoint: 'unix:///x', rootDir: '/tmp' });

test('node status: patched when it changes, not every tick', async () => {
  const { client, node, calls } = fakeApi();
  const loop = new NodeStatusLoop(client, cri, cfg, 'containerd://1', logger('test'));
  await loop.register();
  assert.equal(calls.patches, 1);
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(await loop.update(), false);
  assert.equal(await loop.update(), false);
  assert.equal(calls.patches, 1, 'an unchanged status is not written again');
  // Someone else (the node lifecycle controller) marked the node Unknown: the kubelet corrects it.
  node.status!.conditions = node.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c));
  assert.equal(await loop.update(), true);
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(calls.patches, 2);
});

test('informer transform: managedFields are not cached', () => {
  const o = stripManagedFields({ metadata: { name: 'a', managedFields: [{ manager: 'kubectl' }] } });
  assert.deepEqual(o, { metadata: { name: 'a' } });
});
