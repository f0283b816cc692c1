// Unit tests of kube-proxy's large-cluster paths: upstream's comment-less endpoint rules above
// 1,000 endpoints, the full restore split in per-Service chunks for iptables-nft, chunked
// cleanup, and the proxier writing chunks then the fixed chains (a fake iptables records them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointChainName, serviceChainName } from '../../agent/proxy/iptables/chain-names.js';
import { isLargeCluster, renderAll, renderRules, renderService } from '../../agent/proxy/iptables/render.js';
import { cleanupTexts, Proxier } from '../../agent/proxy/iptables/proxier.js';
import type { Iptables } from '../../agent/proxy/iptables/exec.js';
import { servicePortKey, type ProxyState, type ServiceEntry, type ServicePortInfo } from '../../agent/proxy/types.js';

const config = { clusterCIDR: '10.244.0.0/16', nodeIp: '192.168.56.11' };

function entry(i: number, endpoints: number, nodePort?: number): ServiceEntry {
  const sp: ServicePortInfo = { namespace: 'default', name: `s${i}`, portName: 'http', protocol: 'TCP', clusterIP: `10.96.${i >> 8}.${i & 255}`, port: 80, ...(nodePort ? { nodePort } : {}) };
  const eps = Array.from({ length: endpoints }, (_, j) => ({ ip: `10.244.${i & 255}.${j + 1}`, port: 8080, ready: true }));
  return { ports: [sp], endpoints: new Map([[servicePortKey(sp), eps]]) };
}
function state(n: number, endpoints: number): ProxyState {
  const s: ProxyState = { services: new Map() };
  for (let i = 0; i < n; i++) s.services.set(`default/s${i}`, entry(i, endpoints, i % 2 ? 30000 + i : undefined));
  return s;
}

test('large-cluster mode starts above 1,000 endpoints, as upstream', () => {
  assert.equal(isLargeCluster(state(100, 10)), false); // exactly 1,000
  assert.equal(isLargeCluster(state(101, 10)), true);
  assert.equal(isLargeCluster({ services: new Map() }), false);
});

test('large-cluster form: the SVC → SEP jumps and the SEP rules carry no comment, the rest as before', () => {
  const f = renderService(entry(7, 2), config, true);
  const svc = serviceChainName('default/s7:http', 'TCP');
  const sep1 = endpointChainName('default/s7:http', 'TCP', '10.244.7.1:8080');
  const sep2 = endpointChainName('default/s7:http', 'TCP', '10.244.7.2:8080');
  assert.deepEqual(f.natServices, [`-A KUBE-SERVICES -m comment --comment "default/s7:http cluster IP" -p tcp -m tcp -d 10.96.0.7/32 --dport 80 -j ${svc}`]);
  assert.deepEqual([...f.chains.keys()], [svc, sep1, sep2]);
  assert.deepEqual(f.chains.get(svc), [
    `-A ${svc} -m comment --comment "default/s7:http cluster IP" -p tcp -m tcp -d 10.96.0.7/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A ${svc} -m statistic --mode random --probability 0.5000000000 -j ${sep1}`,
    `-A ${svc} -j ${sep2}`,
  ]);
  assert.deepEqual(f.chains.get(sep1), [
    `-A ${sep1} -s 10.244.7.1/32 -j KUBE-MARK-MASQ`,
    `-A ${sep1} -p tcp -m tcp -j DNAT --to-destination 10.244.7.1:8080`,
  ]);
  // Session affinity keeps its recent checks, without comments.
  const sticky = entry(8, 1);
  sticky.ports[0].affinitySeconds = 60;
  const s8 = serviceChainName('default/s8:http', 'TCP'), e8 = endpointChainName('default/s8:http', 'TCP', '10.244.8.1:8080');
  assert.equal(renderService(sticky, config, true).chains.get(s8)![1], `-A ${s8} -m recent --name ${e8} --mask 255.255.255.255 --rsource --rcheck --seconds 60 --reap -j ${e8}`);
  assert.equal(renderService(sticky, config, true).chains.get(e8)![1], `-A ${e8} -m recent --name ${e8} --mask 255.255.255.255 --rsource --set -p tcp -m tcp -j DNAT --to-destination 10.244.8.1:8080`);
  // renderAll picks the form from the model.
  assert.ok(![...renderAll(state(101, 10), config).values()].some((x) => [...x.chains.values()].flat().some((l) => l.includes(' -> '))));
  assert.ok([...renderAll(state(3, 2), config).values()].every((x) => [...x.chains.values()].flat().some((l) => l.includes(' -> '))));
});

test('chunked full restore: the same rules, each Service whole in one chunk, fixed chains last', () => {
  const s = state(40, 3); // 40 × (SVC + 3 SEP) + 20 EXT = 180 chains
  const fragments = renderAll(s, config);
  const stale = ['KUBE-SVC-STALESTALESTALE1', 'KUBE-SEP-STALESTALESTALE2'];
  const whole = renderRules(s, config, stale, fragments);
  const split = renderRules(s, config, stale, fragments, 50);
  assert.deepEqual(whole.chunks, []);
  assert.equal(split.chunks.length, 4); // pieces close at ≥ 50 chains: 4 pieces of ≥ 50 (4 or 5 chains per Service)
  assert.deepEqual(split.ruleCount, whole.ruleCount);
  assert.deepEqual(split.staleChains, stale.slice().sort());
  // Same rules overall, and the same declarations of our own chains.
  const all = (texts: string[]) => texts.flatMap((t) => t.split('\n')).filter((l) => l.startsWith('-A') || l.startsWith('-X')).sort();
  assert.deepEqual(all([...split.chunks, split.text]).filter((l) => l !== '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000'),
    all([whole.text]).filter((l) => l !== '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000'));
  const declared = new Set<string>(['KUBE-MARK-MASQ']);
  split.chunks.forEach((chunk, i) => {
    const l = chunk.split('\n');
    assert.equal(l[0], '*nat');
    assert.equal(l.at(-2), 'COMMIT');
    assert.equal(l.includes(':KUBE-MARK-MASQ - [0:0]'), i === 0, 'the first chunk (re)fills KUBE-MARK-MASQ');
    assert.ok(!l.some((x) => x.includes('KUBE-SERVICES') || x.includes('KUBE-NODEPORTS') || x.startsWith('-X')));
    for (const x of l) if (x.startsWith(':')) declared.add(x.slice(1, x.indexOf(' ')));
    // Every jump goes to a chain this chunk or an earlier one created.
    for (const x of l) { const j = / -j (KUBE-\S+)/.exec(x); if (j) assert.ok(declared.has(j[1]), `${j[1]} exists before ${x}`); }
  });
  // Each Service's chains sit in one chunk.
  for (const f of fragments.values()) {
    const holders = split.chunks.filter((c) => [...f.chains.keys()].some((name) => c.includes(`:${name} - [0:0]`)));
    assert.equal(holders.length, 1);
    for (const name of f.chains.keys()) assert.ok(holders[0].includes(`:${name} - [0:0]`));
  }
  // The last input rewrites the fixed chains, jumps only to chains the chunks made, deletes stale ones.
  const last = split.text.split('\n');
  assert.ok(!last.some((x) => /^:KUBE-(SVC|SEP|EXT)-/.test(x) && !stale.includes(x.slice(1, x.indexOf(' ')))));
  for (const x of last) { const j = / -j (KUBE-(SVC|EXT)-\S+)/.exec(x); if (j) assert.ok(declared.has(j[1])); }
  for (const c of stale) assert.ok(last.indexOf(`-X ${c}`) > last.indexOf(`:${c} - [0:0]`));
});

test('cleanup: one input on legacy or when small; chunked on nft: unhook, flush pieces, delete pieces, fixed chains', () => {
  const own = ['KUBE-SVC-A', 'KUBE-SEP-B', 'KUBE-SEP-C'];
  const nat = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', ...own];
  const filter = ['KUBE-SERVICES', 'KUBE-FORWARD'];
  assert.deepEqual(cleanupTexts(filter, nat, 0), [[
    '*filter', ':KUBE-SERVICES - [0:0]', ':KUBE-FORWARD - [0:0]', '-X KUBE-SERVICES', '-X KUBE-FORWARD', 'COMMIT',
    '*nat', ...nat.map((c) => `:${c} - [0:0]`), ...nat.map((c) => `-X ${c}`), 'COMMIT', '',
  ].join('\n')]);
  assert.deepEqual(cleanupTexts(filter, nat, 3), cleanupTexts(filter, nat, 0));
  assert.deepEqual(cleanupTexts([], [], 2), []);
  assert.deepEqual(cleanupTexts(filter, nat, 2), [
    '*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-NODEPORTS - [0:0]\nCOMMIT\n',
    '*nat\n:KUBE-SVC-A - [0:0]\n:KUBE-SEP-B - [0:0]\nCOMMIT\n',
    '*nat\n:KUBE-SEP-C - [0:0]\nCOMMIT\n',
    '*nat\n-X KUBE-SVC-A\n-X KUBE-SEP-B\nCOMMIT\n',
    '*nat\n-X KUBE-SEP-C\nCOMMIT\n',
    ['*filter', ':KUBE-SERVICES - [0:0]', ':KUBE-FORWARD - [0:0]', '-X KUBE-SERVICES', '-X KUBE-FORWARD', 'COMMIT',
      '*nat', ...nat.slice(0, 4).map((c) => `:${c} - [0:0]`), ...nat.slice(0, 4).map((c) => `-X ${c}`), 'COMMIT', ''].join('\n'),
  ]);
});

/** Records restores; saves return empty tables. */
function fakeIptables(mode: 'nft' | 'legacy') {
  const restores: string[] = [];
  const ipt = {
    backend: { mode, iptables: 'x', save: 'x', restore: 'x' },
    restores,
    save: async () => '*nat\nCOMMIT\n',
    restore: async (text: string) => { restores.push(text); },
    conntrackDelete: async () => true,
    deleteRule: async () => undefined,
  };
  return ipt as typeof ipt & Iptables;
}

test('proxier: an nft full sync writes chunks then the fixed chains; crossing 1,000 endpoints resyncs all', async () => {
  let s = state(100, 10); // 1,000 endpoints: not large
  const nft = fakeIptables('nft');
  const p = new Proxier(nft, config, () => s);
  const first = await p.syncProxyRules();
  assert.equal(first.fullSync, true);
  assert.equal(nft.restores.length, 1, '1,150 chains fit one piece');
  assert.ok(nft.restores[0].includes(' -> '));
  // Past 1,000 endpoints: large-cluster mode, every endpoint rule changes → a full sync, here
  // told only of s0 and over 2,000 chains, so in pieces.
  s = state(200, 10);
  nft.restores.length = 0;
  const second = await p.syncProxyRules(['default/s0']);
  assert.equal(second.fullSync, true);
  assert.ok(nft.restores.length >= 2);
  assert.ok(nft.restores.at(-1)!.startsWith('*filter') && nft.restores.slice(0, -1).every((t) => t.startsWith('*nat')));
  assert.ok(!nft.restores.some((t) => t.includes(' -> ')));
  // Then partial again, in the large form.
  s.services.set('default/s1', entry(1, 12));
  nft.restores.length = 0;
  const third = await p.syncProxyRules(['default/s1']);
  assert.equal(third.fullSync, false);
  assert.equal(nft.restores.length, 1);
  assert.ok(nft.restores[0].includes(`-A ${serviceChainName('default/s1:http', 'TCP')} -j KUBE-SEP-`));
  // Legacy: one transaction whatever the size.
  const legacy = fakeIptables('legacy');
  await new Proxier(legacy, config, () => state(300, 10)).syncProxyRules();
  assert.equal(legacy.restores.length, 1);
});
