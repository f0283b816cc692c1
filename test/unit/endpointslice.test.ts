// EndpointSlice computation: endpoint conditions, hostnames, port groups, ≤100 per slice, and
// minimal rewrites (endpoints stay in the slice they were in); mirroring of selectorless Endpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { desiredGroups, planSlices } from '../../control/controllers/endpointslice/slices.js';
import { mirrorGroups } from '../../control/controllers/endpointslice/endpointslice-controller.js';

function pod(name: string, ip: string, opts: { ready?: boolean; deleting?: boolean; port?: number; hostname?: string; subdomain?: string; phase?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'worker-1', hostname: opts.hostname, subdomain: opts.subdomain, containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }] },
    status: { phase: opts.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}
const svc: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9000, targetPort: 9000 }] } };
const template = (ports: EndpointPort[]): EndpointSlice => ({ addressType: 'IPv4', metadata: { generateName: 'web-' }, ports, endpoints: [] });

test('conditions: ready, not ready, terminating; targetRef, nodeName; hostname only with subdomain = service', () => {
  const [g] = desiredGroups(svc, [
    pod('a', '10.244.1.5'), pod('b', '10.244.1.3', { ready: false }), pod('c', '10.244.2.4', { deleting: true }),
    pod('d', '10.244.1.9', { hostname: 'db-0', subdomain: 'web' }), pod('e', '10.244.1.10', { hostname: 'x', subdomain: 'other' }),
    pod('done', '10.244.1.11', { phase: 'Succeeded' }),
  ]);
  assert.deepEqual(g.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9000, protocol: 'TCP' }]);
  const byIp = Object.fromEntries(g.endpoints.map((e) => [e.addresses[0], e]));
  assert.deepEqual(Object.keys(byIp), ['10.244.1.3', '10.244.1.5', '10.244.1.9', '10.244.1.10', '10.244.2.4']); // sorted numerically
  assert.deepEqual(byIp['10.244.1.5'].conditions, { ready: true, serving: true, terminating: false });
  assert.deepEqual(byIp['10.244.1.3'].conditions, { ready: false, serving: false, terminating: false });
  assert.deepEqual(byIp['10.244.2.4'].conditions, { ready: false, serving: true, terminating: true });
  assert.equal(byIp['10.244.1.9'].hostname, 'db-0');
  assert.equal(byIp['10.244.1.10'].hostname, undefined);
  assert.equal(byIp['10.244.1.5'].nodeName, 'worker-1');
  assert.deepEqual(byIp['10.244.1.5'].targetRef, { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' });
});

test('pods whose named port differs land in separate port groups', () => {
  const groups = desiredGroups(svc, [pod('a', '10.244.1.2'), pod('b', '10.244.1.3', { port: 8081 })]);
  assert.equal(groups.length, 2);
  assert.deepEqual(groups.map((g) => g.ports[0].port).sort(), [8080, 8081]);
});

test('at most 100 endpoints per slice; a change touches only the slice holding it', () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod(`p${i}`, `10.244.${i >> 8}.${(i & 255) + 1}`));
  const first = planSlices(desiredGroups(svc, pods), [], template);
  assert.deepEqual(first.create.map((s) => s.endpoints.length), [100, 100, 50]);
  const existing = first.create.map((s, i) => ({ ...s, metadata: { name: `web-${i}` } }));
  assert.deepEqual(planSlices(desiredGroups(svc, pods), existing, template), { create: [], update: [], remove: [] });

  // One pod goes not-ready, one is removed, one is added: only the slices involved change.
  const changed = pods.slice(1).map((p, i) => (i === 150 ? pod('p151', p.status!.podIP!, { ready: false }) : p));
  changed.push(pod('new', '10.244.9.9'));
  const plan = planSlices(desiredGroups(svc, changed), existing, template);
  assert.equal(plan.create.length, 0);
  assert.deepEqual(plan.update.map((s) => s.metadata!.name).sort(), ['web-0', 'web-1']); // p0 left web-0, which takes the new pod; p151 in web-1
  assert.equal(plan.update.find((s) => s.metadata!.name === 'web-0')!.endpoints.length, 100);
});

test('a Service without endpoints keeps one empty slice; a removed port group deletes its slices', () => {
  const none = planSlices([], [], template);
  assert.equal(none.create.length, 1);
  assert.deepEqual(none.create[0].endpoints, []);
  const existing = planSlices(desiredGroups(svc, [pod('a', '10.244.1.2')]), [], template).create.map((s) => ({ ...s, metadata: { name: 'web-a' } }));
  const emptied = planSlices([], existing, template);
  assert.deepEqual(emptied.remove, []);
  assert.deepEqual(emptied.update.map((s) => s.endpoints), [[]]);
  const other = planSlices(desiredGroups(svc, [pod('b', '10.244.1.3', { port: 8081 })]), existing, template);
  assert.deepEqual(other.remove, ['web-a']);
  assert.equal(other.create.length, 1);
});

test('mirroring: Endpoints addresses ready, notReadyAddresses not, ports carried over', () => {
  const groups = mirrorGroups({ subsets: [{ addresses: [{ ip: '192.168.56.10' }], notReadyAddresses: [{ ip: '192.168.56.11' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }] });
  assert.deepEqual(groups[0].ports, [{ name: 'dns', port: 53, protocol: 'UDP' }]);
  assert.deepEqual(groups[0].endpoints.map((e) => [e.addresses[0], e.conditions!.ready]), [['192.168.56.10', true], ['192.168.56.11', false]]);
});
