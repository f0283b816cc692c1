// kube-proxy's chunked full sync on a real iptables-nft: the rules a full sync writes in
// ~50-chain pieces are exactly those one restore writes (as iptables-nft-save shows them), a
// large-cluster partial sync on top works, and the chunked cleanup leaves no KUBE- chain. Needs root.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Iptables } from '../../agent/proxy/iptables/exec.js';
import { Proxier } from '../../agent/proxy/iptables/proxier.js';
import { backendFor } from '../../agent/proxy/iptables/wrapper.js';
import { servicePortKey, type ProxyState, type ServiceEntry, type ServicePortInfo } from '../../agent/proxy/types.js';

const NS = [`tsk-pc-a-${process.pid}`, `tsk-pc-b-${process.pid}`];
const config = { clusterCIDR: '10.244.0.0/16', nodeIp: '192.168.56.11' };
const del = (ns: string) => { try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* absent */ } };
after(() => NS.forEach(del));

function entry(i: number, endpoints: number): ServiceEntry {
  const sp: ServicePortInfo = { namespace: 'bench', name: `s${i}`, portName: 'http', protocol: 'TCP', clusterIP: `10.96.1.${i}`, port: 80, ...(i % 3 ? {} : { nodePort: 30000 + i }) };
  const eps = Array.from({ length: endpoints }, (_, j) => ({ ip: `10.244.${i}.${j + 1}`, port: 8080, ready: true }));
  return { ports: [sp], endpoints: new Map([[servicePortKey(sp), eps]]) };
}
/** 60 Services × 17 endpoints: past 1,000 endpoints (large-cluster form), ~1,100 chains. */
function state(): ProxyState {
  const s: ProxyState = { services: new Map() };
  for (let i = 0; i < 60; i++) s.services.set(`bench/s${i}`, entry(i, 17));
  return s;
}
const save = (ns: string) => execFileSync('ip', ['netns', 'exec', ns, 'iptables-nft-save', '-t', 'nat'], { encoding: 'utf8' })
  .split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, '')).join('\n');

const skip = !existsSync('/usr/sbin/iptables-nft-restore') && 'iptables-nft is not installed';

test('nft: a full sync in pieces writes what one restore writes; partial sync and chunked cleanup after it', { skip, timeout: 120_000 }, async () => {
  NS.forEach(del);
  for (const ns of NS) execFileSync('ip', ['netns', 'add', ns]);
  const s = state();
  const chunked = new Proxier(new Iptables(backendFor('nft'), ['ip', 'netns', 'exec', NS[0]]), config, () => s);
  chunked.nftChunkChains = 50;
  const whole = new Proxier(new Iptables(backendFor('nft'), ['ip', 'netns', 'exec', NS[1]]), config, () => s);
  whole.nftChunkChains = 0;
  await chunked.syncProxyRules();
  await whole.syncProxyRules();
  const a = save(NS[0]);
  assert.ok(a.includes(':KUBE-SVC-') && !a.includes(' -> '), 'large-cluster form');
  assert.equal(a, save(NS[1]));

  // An endpoint more for one Service: a partial sync; both namespaces agree again.
  s.services.set('bench/s7', entry(7, 18));
  for (const p of [chunked, whole]) assert.equal((await p.syncProxyRules(['bench/s7'])).fullSync, false);
  assert.ok(save(NS[0]).includes('--to-destination 10.244.7.18:8080'));
  assert.equal(save(NS[0]), save(NS[1]));

  await chunked.cleanupRules();
  assert.doesNotMatch(save(NS[0]), /KUBE-/);
});
