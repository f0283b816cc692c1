// The pure heart of kube-proxy's iptables mode. renderService() turns one Service into a
// fragment: its own chains (KUBE-SVC/EXT/SEP) and its lines in the shared chains. renderRules()
// joins fragments into the full iptables-restore text (or several, see chunkChains);
// renderPartial() writes only what changed.
import { servicePortKey, servicePortName, type EndpointInfo, type ProxyConfig, type ProxyState, type ServiceEntry } from '../types.js';
import { usableEndpoints } from '../service-model.js';
import { endpointChainName, externalChainName, serviceChainName } from './chain-names.js';

export const MASQ_MARK = '0x4000';

/** Fixed chains we own in each table, flushed and refilled by every full restore. */
export const FILTER_CHAINS = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-FORWARD', 'KUBE-FIREWALL'] as const;
export const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'] as const;

/** A jump from a built-in chain into ours; kept outside the restore text (see exec.ts). */
export interface JumpRule { table: 'nat' | 'filter'; chain: string; args: string[] }

const NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];
const portals = ['-m', 'comment', '--comment', 'kubernetes service portals'];
export const JUMP_RULES: JumpRule[] = [
  { table: 'nat', chain: 'PREROUTING', args: [...portals, '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'OUTPUT', args: [...portals, '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', 'KUBE-POSTROUTING'] },
  { table: 'filter', chain: 'INPUT', args: [...NEW, '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'INPUT', args: ['-j', 'KUBE-FIREWALL'] },
  { table: 'filter', chain: 'FORWARD', args: [...NEW, ...portals, '-j', 'KUBE-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: [...NEW, '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-j', 'KUBE-FORWARD'] },
  { table: 'filter', chain: 'OUTPUT', args: [...NEW, ...portals, '-j', 'KUBE-SERVICES'] },
];
/** Jumps older versions inserted; removed by cleanup only. */
export const OLD_JUMP_RULES: JumpRule[] = [
  { table: 'filter', chain: 'INPUT', args: [...NEW, ...portals, '-j', 'KUBE-SERVICES'] },
];

const NODEPORTS_JUMP = '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';

/** Is this a per-service chain that kube-proxy created and may delete? */
export const isServiceChain = (c: string): boolean => c.startsWith('KUBE-SVC-') || c.startsWith('KUBE-SEP-') || c.startsWith('KUBE-EXT-');

const q = (s: string): string => (/[\s"]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s);

/** Upstream's largeClusterEndpointsThreshold: above it, endpoint rules carry no comment. */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

/** Upstream's largeClusterMode: more than 1,000 endpoints over all Service ports. */
export function isLargeCluster(state: ProxyState): boolean {
  let n = 0;
  for (const e of state.services.values()) for (const eps of e.endpoints.values()) if ((n += eps.length) > LARGE_CLUSTER_ENDPOINTS) return true;
  return false;
}

/** One Service rendered: its own chains and its lines in each shared chain. */
export interface Fragment {
  /** Own nat chains (KUBE-SVC/EXT/SEP) → their "-A …" lines. */
  chains: Map<string, string[]>;
  natServices: string[]; // lines in nat KUBE-SERVICES
  natNodePorts: string[]; // lines in nat KUBE-NODEPORTS
  filterServices: string[]; // REJECTs in filter KUBE-SERVICES
  filterExternal: string[]; // REJECTs in filter KUBE-EXTERNAL-SERVICES
  /** UDP targets for conntrack cleanup: "clusterIP|nodePort|endpointIp" per usable endpoint; "clusterIP|nodePort|" for none. */
  udp: string[];
  /** The whole fragment as one string, to tell changed from unchanged (computed on first use). */
  signature?: string;
}

/** A fragment's signature, computed once: only partial syncs compare them. */
export function signatureOf(f: Fragment | undefined): string | undefined {
  if (!f) return undefined;
  if (f.signature === undefined) {
    const parts: string[] = [...f.natServices, ...f.natNodePorts, ...f.filterServices, ...f.filterExternal];
    for (const [c, rules] of f.chains) parts.push(c, ...rules);
    f.signature = parts.join('\n');
  }
  return f.signature;
}

/**
 * Renders one Service (all its ports). Pure: the same entry gives the same fragment. In a large
 * cluster the KUBE-SVC → KUBE-SEP jumps and the KUBE-SEP rules carry no comment, as upstream's
 * appendServiceCommentLocked(): fewer matches for iptables to parse and the kernel to walk.
 */
export function renderService(entry: ServiceEntry, config: ProxyConfig, large = false): Fragment {
  const cmt = (c: string): string => (large ? '' : ` -m comment --comment ${q(c)}`);
  const f: Fragment = { chains: new Map(), natServices: [], natNodePorts: [], filterServices: [], filterExternal: [], udp: [] };
  for (const sp of entry.ports) {
    const name = servicePortName(sp);
    const proto = sp.protocol.toLowerCase();
    const match = `-p ${proto} -m ${proto} -d ${sp.clusterIP}/32 --dport ${sp.port}`;
    const eps = usableEndpoints(entry.endpoints.get(servicePortKey(sp)) ?? []);
    if (sp.protocol === 'UDP') {
      if (eps.length === 0) f.udp.push(`${sp.clusterIP}|${sp.nodePort ?? ''}|`);
      for (const e of eps) f.udp.push(`${sp.clusterIP}|${sp.nodePort ?? ''}|${e.ip}`);
    }

    if (eps.length === 0) {
      // No backend: answer at once with ICMP port unreachable instead of letting packets hang.
      f.filterServices.push(`-A KUBE-SERVICES -m comment --comment ${q(`${name} has no endpoints`)} ${match} -j REJECT --reject-with icmp-port-unreachable`);
      if (sp.nodePort) {
        f.filterExternal.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${q(`${name} has no endpoints`)} -m addrtype --dst-type LOCAL -p ${proto} -m ${proto} --dport ${sp.nodePort} -j REJECT --reject-with icmp-port-unreachable`);
      }
      continue;
    }

    const svcChain = serviceChainName(name, sp.protocol);
    const clusterComment = q(`${name} cluster IP`);
    f.natServices.push(`-A KUBE-SERVICES -m comment --comment ${clusterComment} ${match} -j ${svcChain}`);
    const svcRules: string[] = [];
    f.chains.set(svcChain, svcRules);
    // Traffic from outside the pod network would return asymmetrically: masquerade it.
    svcRules.push(`-A ${svcChain} -m comment --comment ${clusterComment} ${match} ! -s ${config.clusterCIDR} -j KUBE-MARK-MASQ`);

    if (sp.nodePort) {
      // NodePort on every local address (incl. 127.0.0.1 with route_localnet): always masqueraded.
      const ext = externalChainName(name, sp.protocol);
      f.natNodePorts.push(`-A KUBE-NODEPORTS -m comment --comment ${q(name)} -p ${proto} -m ${proto} --dport ${sp.nodePort} -j ${ext}`);
      f.chains.set(ext, [
        `-A ${ext} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j KUBE-MARK-MASQ`,
        `-A ${ext} -j ${svcChain}`,
      ]);
    }

    const seps = eps.map((ep) => ({ ep, endpoint: `${ep.ip}:${ep.port}`, chain: endpointChainName(name, sp.protocol, `${ep.ip}:${ep.port}`) }));
    if (sp.affinitySeconds !== undefined) {
      // ClientIP affinity: a client seen recently goes back to the endpoint that served it.
      for (const s of seps) {
        svcRules.push(`-A ${svcChain}${cmt(`${name} -> ${s.endpoint}`)} -m recent --name ${s.chain} --mask 255.255.255.255 --rsource --rcheck --seconds ${sp.affinitySeconds} --reap -j ${s.chain}`);
      }
    }
    const n = seps.length;
    for (let i = 0; i < n; i++) {
      const s = seps[i];
      // Pick endpoint i with probability 1/(n-i) among those left: uniform overall.
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${(1 / (n - i)).toFixed(10)}` : '';
      svcRules.push(`-A ${svcChain}${cmt(`${name} -> ${s.endpoint}`)}${stat} -j ${s.chain}`);
      const recent = sp.affinitySeconds !== undefined ? ` -m recent --name ${s.chain} --mask 255.255.255.255 --rsource --set` : '';
      f.chains.set(s.chain, [
        // Hairpin: a pod reaching itself through the Service must be masqueraded.
        `-A ${s.chain}${cmt(name)} -s ${s.ep.ip}/32 -j KUBE-MARK-MASQ`,
        `-A ${s.chain}${cmt(name)}${recent} -p ${proto} -m ${proto} -j DNAT --to-destination ${s.endpoint}`,
      ]);
    }
  }
  return f;
}

/** Rules of the fixed chains that do not depend on any Service. */
const MARK_MASQ_RULE = `-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`;
const STATIC_NAT = [
  `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
  `-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
  `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
  MARK_MASQ_RULE,
];
const STATIC_FILTER = [
  `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
  `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  // route_localnet lets 127.0.0.1 reach NodePorts; never accept 127/8 from outside (as the kubelet's rule).
  `-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
];

export interface RenderResult {
  /** The restore input (without chunks: all of it; with: the fixed chains, applied last). */
  text: string;
  /** Per-Service chains to restore first, in order (empty unless chunkChains was given). */
  chunks: string[];
  /** KUBE-SVC/EXT/SEP chains the new nat table holds (input to the next stale check). */
  serviceChains: Set<string>;
  /** Chains present before and absent now: flushed and deleted by this restore. */
  staleChains: string[];
  ruleCount: { filter: number; nat: number };
  fragments: Map<string, Fragment>;
}

/** Renders every Service, in key order. */
export function renderAll(state: ProxyState, config: ProxyConfig, large = isLargeCluster(state)): Map<string, Fragment> {
  const out = new Map<string, Fragment>();
  for (const key of [...state.services.keys()].sort()) out.set(key, renderService(state.services.get(key)!, config, large));
  return out;
}

/**
 * The full restore: every chain we own declared (= flushed) and refilled. Chains in
 * existingNatChains that no Service produces any more are deleted.
 *
 * chunkChains > 0 splits it (for iptables-nft, whose restore cost grows with the square of the
 * chains named in one input): `chunks` first write the per-Service chains, about chunkChains
 * at a time, each Service's chains whole in one nat transaction; `text` then rewrites the fixed
 * chains that jump to them and deletes stale ones. Every step leaves consistent rules: a
 * Service's chains change together and nothing jumps to a chain before it exists.
 */
export function renderRules(
  state: ProxyState, config: ProxyConfig, existingNatChains: Iterable<string>, fragments = renderAll(state, config), chunkChains = 0,
): RenderResult {
  // One output array, filled in table order by a few passes over the fragments (no copies).
  const out: string[] = ['*filter'];
  for (const c of FILTER_CHAINS) out.push(`:${c} - [0:0]`);
  for (const l of STATIC_FILTER) out.push(l);
  const filterStart = out.length;
  for (const f of fragments.values()) for (const l of f.filterServices) out.push(l);
  for (const f of fragments.values()) for (const l of f.filterExternal) out.push(l);
  const filterRules = STATIC_FILTER.length + out.length - filterStart;
  out.push('COMMIT', '*nat');
  for (const c of NAT_CHAINS) out.push(`:${c} - [0:0]`);
  const serviceChains = new Set<string>();
  const chunks = chunkChains > 0 ? serviceChunks(fragments, chunkChains) : [];
  for (const f of fragments.values()) {
    for (const c of f.chains.keys()) { serviceChains.add(c); if (!chunks.length) out.push(`:${c} - [0:0]`); }
  }
  const staleChains: string[] = [];
  for (const c of existingNatChains) if (isServiceChain(c) && !serviceChains.has(c)) staleChains.push(c);
  staleChains.sort();
  for (const c of staleChains) out.push(`:${c} - [0:0]`);
  const natStart = out.length;
  for (const l of STATIC_NAT) out.push(l);
  for (const f of fragments.values()) for (const l of f.natServices) out.push(l);
  out.push(NODEPORTS_JUMP);
  for (const f of fragments.values()) for (const l of f.natNodePorts) out.push(l);
  let natRules = out.length - natStart;
  for (const f of fragments.values()) {
    for (const rules of f.chains.values()) {
      natRules += rules.length;
      if (!chunks.length) for (const l of rules) out.push(l);
    }
  }
  for (const c of staleChains) out.push(`-X ${c}`);
  out.push('COMMIT', '');
  return { text: out.join('\n'), chunks, serviceChains, staleChains, fragments, ruleCount: { filter: filterRules, nat: natRules } };
}

/**
 * nat transactions holding whole Services' chains, about max chains each; the first also
 * (re)fills KUBE-MARK-MASQ they jump to. None when everything fits in one.
 */
function serviceChunks(fragments: Map<string, Fragment>, max: number): string[] {
  const chunks: string[] = [];
  let decl: string[] = [], rules: string[] = [];
  const flush = () => {
    if (!decl.length) return;
    const first = chunks.length === 0 ? [':KUBE-MARK-MASQ - [0:0]', MARK_MASQ_RULE] : [];
    chunks.push(['*nat', ...first, ...decl, ...rules, 'COMMIT', ''].join('\n'));
    decl = []; rules = [];
  };
  for (const f of fragments.values()) {
    for (const [c, lines] of f.chains) { decl.push(`:${c} - [0:0]`); rules.push(...lines); }
    if (decl.length >= max) flush();
  }
  flush();
  return chunks.length > 1 ? chunks : []; // all in one piece: one transaction, as without chunks
}

/**
 * Only what changed between two fragment sets for the given Service keys (KEP-3453 style):
 * changed chains are re-declared and refilled; lines in the shared chains are deleted or
 * inserted one by one (those chains are never flushed, so a 5,000-rule KUBE-SERVICES costs
 * nothing); chains no fragment holds any more are deleted. Returns '' when nothing changed.
 */
export function renderPartial(before: Map<string, Fragment>, after: Map<string, Fragment>, keys: Iterable<string>): { text: string; staleChains: string[]; changed: number } {
  const fDel: string[] = [], fAdd: string[] = [], nDel: string[] = [], nAdd: string[] = [];
  const decl: string[] = [], rules: string[] = [], stale: string[] = [];
  let changed = 0;
  const diff = (old: string[] = [], cur: string[] = [], del: string[], add: string[], insertFirst: boolean) => {
    const o = new Set(old), c = new Set(cur);
    for (const l of old) if (!c.has(l)) del.push('-D' + l.slice(2));
    // Inserted first in nat KUBE-SERVICES: the nodeports jump must stay the last rule.
    for (const l of cur) if (!o.has(l)) add.push(insertFirst ? l.replace(/^-A (\S+)/, '-I $1 1') : l);
  };
  for (const key of keys) {
    const a = before.get(key), b = after.get(key);
    if (signatureOf(a) === signatureOf(b)) continue;
    changed++;
    diff(a?.filterServices, b?.filterServices, fDel, fAdd, false);
    diff(a?.filterExternal, b?.filterExternal, fDel, fAdd, false);
    diff(a?.natServices, b?.natServices, nDel, nAdd, true);
    diff(a?.natNodePorts, b?.natNodePorts, nDel, nAdd, false);
    for (const [c, lines] of b?.chains ?? []) {
      const old = a?.chains.get(c);
      if (old && old.join('\n') === lines.join('\n')) continue; // e.g. an untouched SEP chain
      decl.push(`:${c} - [0:0]`);
      rules.push(...lines);
    }
    for (const c of a?.chains.keys() ?? []) if (!b?.chains.has(c)) stale.push(c);
  }
  if (changed === 0) return { text: '', staleChains: [], changed };
  const out: string[] = [];
  if (fDel.length || fAdd.length) out.push('*filter', ...fDel, ...fAdd, 'COMMIT');
  if (decl.length || stale.length || nDel.length || nAdd.length) {
    // Stale chains are flushed (declared) and their referrers deleted before -X removes them.
    out.push('*nat', ...decl, ...stale.map((c) => `:${c} - [0:0]`), ...nDel, ...nAdd, ...rules, ...stale.map((c) => `-X ${c}`), 'COMMIT');
  }
  out.push('');
  return { text: out.length > 1 ? out.join('\n') : '', staleChains: stale, changed };
}

/** Chain names declared in iptables-save output (lines ":NAME POLICY [p:b]"). */
export function chainsInSave(saveText: string): string[] {
  const out: string[] = [];
  for (const line of saveText.split('\n')) {
    if (line.charCodeAt(0) === 58 /* : */) out.push(line.slice(1, line.indexOf(' ')));
  }
  return out;
}

/** Ready endpoint IPs of a UDP fragment entry ("clusterIP|nodePort|ip"). */
export function parseUdp(entry: string): { clusterIP: string; nodePort?: number; ip?: string } {
  const [clusterIP, np, ip] = entry.split('|');
  return { clusterIP, ...(np ? { nodePort: Number(np) } : {}), ...(ip ? { ip } : {}) };
}

export type { EndpointInfo };
