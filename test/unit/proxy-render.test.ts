// Unit tests of kube-proxy's pure renderer: exact rules for a 2-endpoint Service, balancing
// probabilities, stale-chain deletion, no-endpoint reject, chain names as upstream's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { endpointChainName, serviceChainName } from '../../agent/proxy/iptables/chain-names.js';
import { chainsInSave, renderRules } from '../../agent/proxy/iptables/render.js';
import { buildProxyState } from '../../agent/proxy/service-model.js';

const config = { clusterCIDR: '10.244.0.0/16', nodeIp: '192.168.56.11' };

function svc(name: string, clusterIP: string, ports: Service['spec'] extends infer S ? S extends { ports?: infer P } ? P : never : never): Service {
  return { metadata: { namespace: 'default', name }, spec: { clusterIP, ports } };
}
function eps(name: string, ips: string[], ports: Array<{ name?: string; port: number }>, notReady: string[] = []): Endpoints {
  return {
    metadata: { namespace: 'default', name },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), notReadyAddresses: notReady.map((ip) => ({ ip })), ports }],
  };
}
function render(services: Service[], endpoints: Endpoints[], existing: string[] = []) {
  const byKey = new Map(endpoints.map((e) => [`${e.metadata!.namespace}/${e.metadata!.name}`, e]));
  return renderRules(buildProxyState(services, (k) => byKey.get(k)), config, existing);
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
    `-A ${svcChain} -m comment --comment "default/web:http cluster IP" -p tcp -m tcp -d 10.96.0.20/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A ${svcChain} -m comment --comment "default/web:http -> 10.244.1.7:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep1}`,
    `-A ${sep1} -m comment --comment default/web:http -s 10.244.1.7/32 -j KUBE-MARK-MASQ`,
    `-A ${sep1} -m comment --comment default/web:http -p tcp -m tcp -j DNAT --to-destination 10.244.1.7:8080`,
    `-A ${svcChain} -m comment --comment "default/web:http -> 10.244.2.5:8080" -j ${sep2}`,
    `-A ${sep2} -m comment --comment default/web:http -s 10.244.2.5/32 -j KUBE-MARK-MASQ`,
    `-A ${sep2} -m comment --comment default/web:http -p tcp -m tcp -j DNAT --to-destination 10.244.2.5:8080`,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    'COMMIT', '',
  ]);
  assert.deepEqual([...r.serviceChains].sort(), [svcChain, sep1, sep2].sort());
  assert.deepEqual(r.ruleCount, { filter: 2, nat: 13 });
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
  // An endpoints controller that names ports after the targetPort also works.
  const r2 = render([svc('n', '10.96.0.24', [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'x', port: 81 }])],
    [eps('n', ['10.244.1.9'], [{ name: 'web', port: 8000 }])]);
  assert.ok(r2.text.includes('--to-destination 10.244.1.9:8000'));
  assert.ok(r2.text.includes('"default/n:x has no endpoints"'));
});

test('a service with no ready endpoints rejects in the filter table and has no nat chain', () => {
  const r = render([svc('down', '10.96.0.25', [{ name: 'http', port: 80 }])], [eps('down', [], [{ name: 'http', port: 80 }], ['10.244.1.2'])]);
  const filter = r.text.slice(0, r.text.indexOf('*nat'));
  assert.ok(filter.startsWith('*filter\n:KUBE-SERVICES - [0:0]\n'));
  assert.ok(filter.includes('-A KUBE-SERVICES -m comment --comment "default/down:http has no endpoints" -p tcp -m tcp -d 10.96.0.25/32 --dport 80 -j REJECT\n'));
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
  ], [eps('headless', ['10.244.1.2'], [{ port: 80 }]), eps('dns', ['10.244.1.3'], [{ name: 'dns', port: 53, protocol: 'UDP' } as never])]);
  assert.ok(!r.text.includes('headless') && !r.text.includes('ext'));
  assert.ok(r.text.includes(`-p udp -m udp -d 10.96.0.10/32 --dport 53 -j ${serviceChainName('default/dns:dns', 'UDP')}`));
});

test('chainsInSave reads chain names from iptables-save output', () => {
  const save = '# Generated by iptables-save\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SVC-X - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n';
  assert.deepEqual(chainsInSave(save), ['PREROUTING', 'KUBE-SVC-X']);
});
