// Unit tests of kube-proxy's pure renderer: exact rules for a 2-endpoint Service, balancing
// probabilities, stale-chain deletion, no-endpoint reject, chain names as upstream's, NodePort,
// session affinity, EndpointSlices as the source, and partial (changed-only) restores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { endpointChainName, externalChainName, serviceChainName } from '../../agent/proxy/iptables/chain-names.js';
import { chainsInSave, renderAll, renderPartial, renderRules } from '../../agent/proxy/iptables/render.js';
import { serviceEntry } from '../../agent/proxy/service-model.js';
import type { ProxyState } from '../../agent/proxy/types.js';

const config = { clusterCIDR: '10.244.0.0/16', nodeIp: '192.168.56.11' };

function svc(name: string, clusterIP: string, ports: NonNullable<Service['spec']>['ports'], extra: Partial<NonNullable<Service['spec']>> = {}): Service {
  return { metadata: { namespace: 'default', name }, spec: { clusterIP, ports, ...extra } };
}
/** A slice as the EndpointSlice controller writes it; notReady endpoints carry ready=false. */
function eps(name: string, ips: string[], ports: Array<{ name?: string; port: number; protocol?: string }>, notReady: string[] = [], terminating: string[] = []): EndpointSlice {
  return {
    metadata: { namespace: 'default', name: `${name}-abc`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: [
      ...ips.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } })),
      ...notReady.map((ip) => ({ addresses: [ip], conditions: { ready: false, serving: false, terminating: false } })),
      ...terminating.map((ip) => ({ addresses: [ip], conditions: { ready: false, serving: true, terminating: true } })),
    ],
  };
}
function stateOf(services: Service[], slices: EndpointSlice[]): ProxyState {
  const state: ProxyState = { services: new Map() };
  for (const s of services) {
    const e = serviceEntry(s, slices.filter((sl) => sl.metadata!.labels!['kubernetes.io/service-name'] === s.metadata!.name));
    if (e) state.services.set(`default/${s.metadata!.name}`, e);
  }
  return state;
}
function render(services: Service[], slices: EndpointSlice[], existing: string[] = []) {
  return renderRules(stateOf(services, slices), config, existing);
}
const lines = (text: string) => text.split('\n');

test('chain names match upstream kube-proxy and stay within 28 characters', () => {
  assert.equal(serviceChainName('default/kubernetes:https', 'TCP'), 'KUBE-SVC-NPX46M4PTMTKRN6Y');
  assert.equal(serviceChainName('kube-system/kube-dns:dns', 'UDP'), 'KUBE-SVC-TCOU7JCQXEZGVUNU');
  const long = 'a-very-long-namespace-name-indeed/' + 'x'.repeat(63) + ':' + 'p'.repeat(15);
  assert.ok(serviceChainName(long, 'TCP').length <= 28);
  assert.ok(endpointChainName(long, 'TCP', '10.244.1.2:8080').length <= 28);
  assert.match(endpointChainName('default/web', 'TCP', '10.244.1.2:80'), /^KUBE-SEP-[A-Z2-7]{16}$/);
});

test('a 2-endpoint service renders exactly the expected nat rules', () => {
  const r = render([svc('web', '10.96.0.20', [{ name: 'http', port: 80, targetPort: 8080 }])],
    [eps('web', ['10.244.2.5', '10.244.1.7'], [{ name: 'http', port: 8080 }])]);
  const svcChain = serviceChainName('default/web:http', 'TCP');
  const sep1 = endpointChainName('default/web:http', 'TCP', '10.244.1.7:8080');
  const sep2 = endpointChainName('default/web:http', 'TCP', '10.244.2.5:8080');
  const nat = lines(r.text.slice(r.text.indexOf('*nat')));
  assert.deepEqual(nat, [
    '*nat',
    ':KUBE-SERVICES - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-MARK-MASQ - [0:0]',
    `:${svcChain} - [0:0]`, `:${sep1} - [0:0]`, `:${sep2} - [0:0]`,
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    `-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -p tcp -m tcp -d 10.96.0.20/32 --dport 80 -j ${svcChain}`,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    `-A ${svcChain} -m comment --comment "default/web:http cluster IP" -p tcp -m tcp -d 10.96.0.20/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A ${svcChain} -m comment --comment "default/web:http -> 10.244.1.7:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep1}`,
    `-A ${svcChain} -m comment --comment "default/web:http -> 10.244.2.5:8080" -j ${sep2}`,
    `-A ${sep1} -m comment --comment default/web:http -s 10.244.1.7/32 -j KUBE-MARK-MASQ`,
    `-A ${sep1} -m comment --comment default/web:http -p tcp -m tcp -j DNAT --to-destination 10.244.1.7:8080`,
    `-A ${sep2} -m comment --comment default/web:http -s 10.244.2.5/32 -j KUBE-MARK-MASQ`,
    `-A ${sep2} -m comment --comment default/web:http -p tcp -m tcp -j DNAT --to-destination 10.244.2.5:8080`,
    'COMMIT', '',
  ]);
  assert.deepEqual([...r.serviceChains].sort(), [svcChain, sep1, sep2].sort());
  assert.deepEqual(r.ruleCount, { filter: 3, nat: 13 });
  assert.ok(!r.text.includes('REJECT'));
});

test('three endpoints get probabilities 1/3, 1/2, then unconditional', () => {
  const r = render([svc('web', '10.96.0.21', [{ port: 80 }])], [eps('web', ['10.244.1.2', '10.244.1.3', '10.244.1.4'], [{ port: 80 }])]);
  const jumps = lines(r.text).filter((l) => l.includes(' -> '));
  assert.equal(jumps.length, 3);
  assert.match(jumps[0], /--probability 0\.3333333333 -j KUBE-SEP-/);
  assert.match(jumps[1], /--probability 0\.5000000000 -j KUBE-SEP-/);
  assert.doesNotMatch(jumps[2], /statistic/);
  assert.match(jumps[0], /"default\/web -> 10\.244\.1\.2:80"/); // unnamed port: no ":port" suffix
});

test('stale KUBE-SVC/KUBE-SEP chains are flushed and deleted in the same restore', () => {
  const stale = ['KUBE-SVC-AAAAAAAAAAAAAAAA', 'KUBE-SEP-BBBBBBBBBBBBBBBB'];
  const keep = serviceChainName('default/web', 'TCP');
  const r = render([svc('web', '10.96.0.22', [{ port: 80 }])], [eps('web', ['10.244.1.2'], [{ port: 80 }])],
    ['PREROUTING', 'KUBE-SERVICES', 'KUBE-MARK-MASQ', 'DOCKER', keep, ...stale]);
  assert.deepEqual(r.staleChains, [...stale].sort());
  const l = lines(r.text);
  for (const c of stale) {
    assert.ok(l.includes(`:${c} - [0:0]`), `declares ${c}`);
    assert.ok(l.indexOf(`-X ${c}`) > l.indexOf(`:${c} - [0:0]`), `deletes ${c}`);
  }
  assert.ok(!l.includes(`-X ${keep}`));
  assert.ok(!l.some((x) => x.includes('-X DOCKER') || x.includes('-X KUBE-SERVICES')));
  assert.ok(l.indexOf('-X KUBE-SEP-BBBBBBBBBBBBBBBB') < l.lastIndexOf('COMMIT'));
});

test('named targetPorts resolve through the Endpoints port names', () => {
  const service = svc('multi', '10.96.0.23', [
    { name: 'http', port: 80, targetPort: 'web' },
    { name: 'metrics', port: 9090, targetPort: 'prom' },
  ]);
  const r = render([service], [eps('multi', ['10.244.1.2'], [{ name: 'metrics', port: 9100 }, { name: 'http', port: 8080 }])]);
  assert.ok(r.text.includes('-j DNAT --to-destination 10.244.1.2:8080'));
  assert.ok(r.text.includes('-j DNAT --to-destination 10.244.1.2:9100'));
  assert.ok(r.text.includes('--dport 80 -j KUBE-SVC-'));
  assert.ok(r.text.includes('--dport 9090 -j KUBE-SVC-'));
  // A service port no slice port serves has no endpoints.
  const r2 = render([svc('n', '10.96.0.24', [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'x', port: 81 }])],
    [eps('n', ['10.244.1.9'], [{ name: 'http', port: 8000 }])]);
  assert.ok(r2.text.includes('--to-destination 10.244.1.9:8000'));
  assert.ok(r2.text.includes('"default/n:x has no endpoints"'));
});

test('a service with no ready endpoints rejects in the filter table and has no nat chain', () => {
  const r = render([svc('down', '10.96.0.25', [{ name: 'http', port: 80 }])], [eps('down', [], [{ name: 'http', port: 80 }], ['10.244.1.2'])]);
  const filter = r.text.slice(0, r.text.indexOf('*nat'));
  assert.ok(filter.startsWith('*filter\n:KUBE-SERVICES - [0:0]\n'));
  assert.ok(filter.includes('-A KUBE-SERVICES -m comment --comment "default/down:http has no endpoints" -p tcp -m tcp -d 10.96.0.25/32 --dport 80 -j REJECT --reject-with icmp-port-unreachable\n'));
  assert.ok(filter.trimEnd().endsWith('COMMIT'));
  assert.equal(r.serviceChains.size, 0);
  assert.ok(!r.text.includes('KUBE-SVC-'));
  // Not-ready endpoints never receive traffic, also beside ready ones.
  const r2 = render([svc('half', '10.96.0.26', [{ port: 80 }])], [eps('half', ['10.244.1.3'], [{ port: 80 }], ['10.244.1.4'])]);
  assert.ok(r2.text.includes('10.244.1.3:80') && !r2.text.includes('10.244.1.4'));
});

test('headless and ExternalName services are left alone; UDP renders with -p udp', () => {
  const r = render([
    svc('headless', 'None', [{ port: 80 }]),
    { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } },
    svc('dns', '10.96.0.10', [{ name: 'dns', port: 53, protocol: 'UDP' }]),
  ], [eps('headless', ['10.244.1.2'], [{ port: 80 }]), eps('dns', ['10.244.1.3'], [{ name: 'dns', port: 53, protocol: 'UDP' }])]);
  assert.ok(!r.text.includes('headless') && !r.text.includes('ext'));
  assert.ok(r.text.includes(`-p udp -m udp -d 10.96.0.10/32 --dport 53 -j ${serviceChainName('default/dns:dns', 'UDP')}`));
});

test('chainsInSave reads chain names from iptables-save output', () => {
  const save = '# Generated by iptables-save\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SVC-X - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n';
  assert.deepEqual(chainsInSave(save), ['PREROUTING', 'KUBE-SVC-X']);
});

test('NodePort: KUBE-NODEPORTS → KUBE-EXT (masquerade) → KUBE-SVC; without endpoints a LOCAL reject', () => {
  const s = svc('np', '10.96.0.30', [{ name: 'http', port: 80, nodePort: 30080 }], { type: 'NodePort' });
  const r = render([s], [eps('np', ['10.244.1.2'], [{ name: 'http', port: 8080 }])]);
  const ext = externalChainName('default/np:http', 'TCP'), svcChain = serviceChainName('default/np:http', 'TCP');
  const l = lines(r.text);
  assert.ok(l.includes(`-A KUBE-NODEPORTS -m comment --comment default/np:http -p tcp -m tcp --dport 30080 -j ${ext}`));
  assert.ok(l.includes(`-A ${ext} -m comment --comment "masquerade traffic for default/np:http external destinations" -j KUBE-MARK-MASQ`));
  assert.ok(l.indexOf(`-A ${ext} -j ${svcChain}`) > l.indexOf(`-A ${ext} -m comment --comment "masquerade traffic for default/np:http external destinations" -j KUBE-MARK-MASQ`));
  assert.ok(l.includes(`:${ext} - [0:0]`));
  // A ClusterIP Service carrying a stale nodePort field gets no NodePort rules.
  assert.ok(!render([{ ...s, spec: { ...s.spec, type: 'ClusterIP' } }], [eps('np', ['10.244.1.2'], [{ name: 'http', port: 8080 }])]).text.includes('30080'));
  const down = render([s], [eps('np', [], [{ name: 'http', port: 8080 }])]);
  assert.ok(down.text.includes('-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/np:http has no endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable'));
});

test('sessionAffinity ClientIP: recent checks before the random pick, recent set on DNAT', () => {
  const s = svc('sticky', '10.96.0.31', [{ port: 80 }], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
  const r = render([s], [eps('sticky', ['10.244.1.2', '10.244.1.3'], [{ port: 80 }])]);
  const sepA = endpointChainName('default/sticky', 'TCP', '10.244.1.2:80');
  const svcChain = serviceChainName('default/sticky', 'TCP');
  const svcLines = lines(r.text).filter((x) => x.startsWith(`-A ${svcChain} `));
  assert.equal(svcLines.length, 5); // masq, 2 recent checks, 2 picks
  assert.equal(svcLines[1], `-A ${svcChain} -m comment --comment "default/sticky -> 10.244.1.2:80" -m recent --name ${sepA} --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j ${sepA}`);
  assert.match(svcLines[3], /statistic/);
  assert.ok(r.text.includes(`-A ${sepA} -m comment --comment default/sticky -m recent --name ${sepA} --mask 255.255.255.255 --rsource --set -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:80`));
  // Default timeout is upstream's 10800 s.
  assert.ok(render([svc('s2', '10.96.0.32', [{ port: 80 }], { sessionAffinity: 'ClientIP' })], [eps('s2', ['10.244.1.2'], [{ port: 80 }])]).text.includes('--seconds 10800'));
});

test('terminating-but-serving endpoints are used only when nothing is ready', () => {
  const both = render([svc('t', '10.96.0.33', [{ port: 80 }])], [eps('t', ['10.244.1.2'], [{ port: 80 }], [], ['10.244.1.3'])]);
  assert.ok(both.text.includes('10.244.1.2:80') && !both.text.includes('10.244.1.3'));
  const only = render([svc('t', '10.96.0.33', [{ port: 80 }])], [eps('t', [], [{ port: 80 }], [], ['10.244.1.3'])]);
  assert.ok(only.text.includes('--to-destination 10.244.1.3:80') && !only.text.includes('REJECT --reject-with icmp-port-unreachable\n-A KUBE-SERVICES -m comment --comment "default/t'));
});

test('partial restore: only the changed Service, shared-chain lines deleted and inserted one by one', () => {
  const a = svc('a', '10.96.0.40', [{ port: 80 }]), b = svc('b', '10.96.0.41', [{ port: 80 }]);
  const s1 = stateOf([a, b], [eps('a', ['10.244.1.2'], [{ port: 80 }]), eps('b', ['10.244.1.3'], [{ port: 80 }])]);
  const before = renderAll(s1, config);
  // b gains an endpoint: its SVC chain and the new SEP chain are written, the old SEP untouched.
  const s2 = stateOf([a, b], [eps('a', ['10.244.1.2'], [{ port: 80 }]), eps('b', ['10.244.1.3', '10.244.1.4'], [{ port: 80 }])]);
  const after = renderAll(s2, config);
  const p = renderPartial(before, after, ['default/a', 'default/b']);
  assert.equal(p.changed, 1);
  const l = lines(p.text);
  assert.deepEqual(l.filter((x) => x.startsWith(':')).sort(), [`:${serviceChainName('default/b', 'TCP')} - [0:0]`, `:${endpointChainName('default/b', 'TCP', '10.244.1.4:80')} - [0:0]`].sort());
  assert.ok(!p.text.includes('default/a') && !p.text.includes('*filter') && !p.text.includes('KUBE-SERVICES'));
  // b loses every endpoint: its nat line is deleted, a filter REJECT is added, its chains go.
  const s3 = stateOf([a, b], [eps('a', ['10.244.1.2'], [{ port: 80 }]), eps('b', [], [{ port: 80 }])]);
  const p3 = renderPartial(after, renderAll(s3, config), ['default/b']);
  const l3 = lines(p3.text);
  assert.ok(l3.includes('*filter') && l3.some((x) => x.startsWith('-A KUBE-SERVICES') && x.includes('default/b has no endpoints')));
  assert.ok(l3.some((x) => x.startsWith('-D KUBE-SERVICES') && x.includes('default/b cluster IP')));
  assert.equal(p3.staleChains.length, 3);
  for (const c of p3.staleChains) assert.ok(l3.indexOf(`-X ${c}`) > l3.findIndex((x) => x.startsWith('-D KUBE-SERVICES')));
  // A new Service's KUBE-SERVICES line is inserted first, so the nodeports jump stays last.
  const c = svc('c', '10.96.0.42', [{ port: 80 }]);
  const s4 = stateOf([a, b, c], [eps('a', ['10.244.1.2'], [{ port: 80 }]), eps('c', ['10.244.1.9'], [{ port: 80 }])]);
  const p4 = renderPartial(renderAll(s3, config), renderAll(s4, config), ['default/c']);
  assert.ok(lines(p4.text).some((x) => x.startsWith('-I KUBE-SERVICES 1 -m comment --comment "default/c cluster IP"')));
  // Nothing changed: nothing to restore.
  assert.equal(renderPartial(before, renderAll(s1, config), ['default/a', 'default/b']).text, '');
});
