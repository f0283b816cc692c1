// Endpoints computation: ready vs not-ready addresses, target port resolution, subset grouping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { computeSubsets, resolveTargetPort } from '../../control/controllers/endpoints/subsets.js';

function pod(name: string, ip: string | undefined, ready: boolean, ports: Array<{ name?: string; containerPort: number }> = [{ name: 'http', containerPort: 8080 }], extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...extra },
    spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'nginx', ports }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}
const svc = (ports: ServicePort[], extra: object = {}): Service =>
  ({ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports, ...extra } });

test('target ports: number as is, name looked up per pod, default = port', () => {
  const p = pod('a', '10.244.1.2', true);
  assert.equal(resolveTargetPort({ port: 80, targetPort: 9090 }, p), 9090);
  assert.equal(resolveTargetPort({ port: 80, targetPort: 'http' }, p), 8080);
  assert.equal(resolveTargetPort({ port: 80, targetPort: 'nope' }, p), undefined);
  assert.equal(resolveTargetPort({ port: 80 }, p), 80);
  assert.equal(resolveTargetPort({ port: 80, targetPort: 'http', protocol: 'UDP' }, p), undefined);
});

test('ready pods in addresses, others in notReadyAddresses, sorted by IP, with targetRef and nodeName', () => {
  const subsets = computeSubsets(svc([{ name: 'web', port: 80, targetPort: 'http' }]), [
    pod('b', '10.244.2.10', true), pod('a', '10.244.1.9', true), pod('c', '10.244.1.3', false), pod('noip', undefined, true),
    pod('gone', '10.244.1.4', true, undefined, { deletionTimestamp: '2024-01-01T00:00:00Z' }),
  ]);
  assert.equal(subsets.length, 1);
  const s = subsets[0]!;
  assert.deepEqual(s.addresses!.map((a) => a.ip), ['10.244.1.9', '10.244.2.10']);
  assert.deepEqual(s.notReadyAddresses!.map((a) => a.ip), ['10.244.1.3']);
  assert.deepEqual(s.addresses![0]!.targetRef, { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' });
  assert.equal(s.addresses![0]!.nodeName, 'worker-1');
  assert.deepEqual(s.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
});

test('pods exposing different ports for a named targetPort land in different subsets', () => {
  const subsets = computeSubsets(svc([{ port: 80, targetPort: 'http' }]), [
    pod('a', '10.0.0.1', true), pod('b', '10.0.0.2', true, [{ name: 'http', containerPort: 9000 }]), pod('c', '10.0.0.3', true, []),
  ]);
  assert.equal(subsets.length, 2);
  assert.deepEqual(subsets.map((s) => [s.ports![0]!.port, s.addresses!.map((a) => a.ip)]).sort(), [[8080, ['10.0.0.1']], [9000, ['10.0.0.2']]]);
});

test('publishNotReadyAddresses puts every pod in addresses; no pods → no subsets', () => {
  const s = computeSubsets(svc([{ port: 80 }], { publishNotReadyAddresses: true }), [pod('a', '10.0.0.1', false)]);
  assert.deepEqual(s[0]!.addresses!.map((a) => a.ip), ['10.0.0.1']);
  assert.equal(s[0]!.notReadyAddresses, undefined);
  assert.deepEqual(computeSubsets(svc([{ port: 80 }]), []), []);
});
