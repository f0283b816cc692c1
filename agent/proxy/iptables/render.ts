// The pure heart of kube-proxy's iptables mode: (model, config, chains present now) → the
// complete iptables-restore text for the *filter and *nat tables, applied with --noflush.
// One loop over service ports fills reused line buffers, as upstream's syncProxyRules does.
import { servicePortKey, servicePortName, type ProxyConfig, type ProxyState } from '../types.js';
import { endpointChainName, serviceChainName } from './chain-names.js';

export const MASQ_MARK = '0x4000';

/** Fixed chains we own in each table, flushed and refilled by every restore. */
export const FILTER_CHAINS = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-FORWARD'] as const;
export const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'] as const;

/** A jump from a built-in chain into ours; kept outside the restore text (see exec.ts). */
export interface JumpRule { table: 'nat' | 'filter'; chain: string; args: string[] }

export const JUMP_RULES: JumpRule[] = [
  { table: 'nat', chain: 'PREROUTING', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'OUTPUT', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', 'KUBE-POSTROUTING'] },
  ...(['INPUT', 'FORWARD', 'OUTPUT'] as const).map((chain): JumpRule => ({
    table: 'filter', chain,
    args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'],
  })),
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-j', 'KUBE-FORWARD'] },
];

export interface RenderResult {
  text: string;
  /** KUBE-SVC-/KUBE-SEP- chains the new nat table holds (input to the next stale check). */
  serviceChains: Set<string>;
  /** Chains present before and absent now: flushed and deleted by this restore. */
  staleChains: string[];
  ruleCount: { filter: number; nat: number };
}

/** Is this a per-service chain that kube-proxy created and may delete? */
export const isServiceChain = (c: string): boolean => c.startsWith('KUBE-SVC-') || c.startsWith('KUBE-SEP-');

const q = (s: string): string => (/[\s"]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s);

/**
 * Renders the full restore text. existingNatChains are the chain names iptables-save -t nat
 * shows now; KUBE-SVC-/KUBE-SEP- chains among them that the new state lacks are deleted.
 */
export function renderRules(state: ProxyState, config: ProxyConfig, existingNatChains: Iterable<string>): RenderResult {
  const filterChains: string[] = FILTER_CHAINS.map((c) => `:${c} - [0:0]`);
  const filterRules: string[] = [];
  const natChains: string[] = NAT_CHAINS.map((c) => `:${c} - [0:0]`);
  const natRules: string[] = [];
  const serviceChains = new Set<string>();

  natRules.push(
    `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`,
  );
  filterRules.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  for (const sp of state.services) {
    const name = servicePortName(sp);
    const proto = sp.protocol.toLowerCase();
    const match = `-p ${proto} -m ${proto} -d ${sp.clusterIP}/32 --dport ${sp.port}`;
    const ready = (state.endpoints.get(servicePortKey(sp)) ?? []).filter((e) => e.ready);

    if (ready.length === 0) {
      // No backend: answer at once with ICMP port unreachable instead of letting SYNs hang.
      filterRules.push(`-A KUBE-SERVICES -m comment --comment ${q(`${name} has no endpoints`)} ${match} -j REJECT`);
      continue;
    }

    const svcChain = serviceChainName(name, sp.protocol);
    serviceChains.add(svcChain);
    natChains.push(`:${svcChain} - [0:0]`);
    const clusterComment = q(`${name} cluster IP`);
    natRules.push(`-A KUBE-SERVICES -m comment --comment ${clusterComment} ${match} -j ${svcChain}`);
    // Traffic from outside the pod network would return asymmetrically: masquerade it.
    natRules.push(`-A ${svcChain} -m comment --comment ${clusterComment} ${match} ! -s ${config.clusterCIDR} -j KUBE-MARK-MASQ`);

    const n = ready.length;
    const sepComment = q(name);
    for (let i = 0; i < n; i++) {
      const ep = ready[i];
      const endpoint = `${ep.ip}:${ep.port}`;
      const sepChain = endpointChainName(name, sp.protocol, endpoint);
      serviceChains.add(sepChain);
      natChains.push(`:${sepChain} - [0:0]`);
      // Pick endpoint i with probability 1/(n-i) among those left: uniform overall.
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${(1 / (n - i)).toFixed(10)}` : '';
      natRules.push(`-A ${svcChain} -m comment --comment "${name} -> ${endpoint}"${stat} -j ${sepChain}`);
      // Hairpin: a pod reaching itself through the Service must be masqueraded.
      natRules.push(`-A ${sepChain} -m comment --comment ${sepComment} -s ${ep.ip}/32 -j KUBE-MARK-MASQ`);
      natRules.push(`-A ${sepChain} -m comment --comment ${sepComment} -p ${proto} -m ${proto} -j DNAT --to-destination ${endpoint}`);
    }
  }

  natRules.push('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');

  // Stale chains: set difference of what exists and what we just wrote. Declaring them
  // flushes them (so nothing still jumps into them), then -X deletes them, all in one commit.
  const staleChains: string[] = [];
  for (const c of existingNatChains) {
    if (isServiceChain(c) && !serviceChains.has(c)) staleChains.push(c);
  }
  staleChains.sort();
  for (const c of staleChains) natChains.push(`:${c} - [0:0]`);
  for (const c of staleChains) natRules.push(`-X ${c}`);

  const text = ['*filter', ...filterChains, ...filterRules, 'COMMIT', '*nat', ...natChains, ...natRules, 'COMMIT', ''].join('\n');
  return {
    text, serviceChains, staleChains,
    ruleCount: { filter: filterRules.length, nat: natRules.length - staleChains.length },
  };
}

/** Chain names declared in iptables-save output (lines ":NAME POLICY [p:b]"). */
export function chainsInSave(saveText: string): string[] {
  const out: string[] = [];
  for (const line of saveText.split('\n')) {
    if (line.charCodeAt(0) === 58 /* : */) out.push(line.slice(1, line.indexOf(' ')));
  }
  return out;
}
