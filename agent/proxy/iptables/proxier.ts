// The iptables proxier: syncProxyRules() turns the model into kernel rules with iptables-restore.
// A full sync rewrites every chain we own (at start, after a failure, on the resync timer, which
// repairs rules others deleted; on nft in pieces); otherwise only the changed Services' chains and
// lines are written (KEP-3453). iptables-save is read only when our view of the kernel is lost.
import type { Logger } from 'pino';
import type { ProxyConfig, ProxyState } from '../types.js';
import { lastSyncTimestamp, partialSyncFailures, ruleCount, syncDuration, syncFailures, syncKindDuration } from '../metrics.js';
import { Iptables } from './exec.js';
import {
  chainsInSave, FILTER_CHAINS, isLargeCluster, isServiceChain, JUMP_RULES, NAT_CHAINS, OLD_JUMP_RULES, parseUdp,
  renderAll, renderPartial, renderRules, renderService, signatureOf, type Fragment,
} from './render.js';

export interface SyncStats {
  /** iptables-save of nat + filter (full syncs: stale chains and jump rules), render, restore, jump fixes. */
  saveMs: number; renderMs: number; applyMs: number; jumpsMs: number; totalMs: number; fullSync: boolean;
  lines: number; stale: number; changedServices: number; conntrackDeletes: number;
}

/**
 * Chains per transaction of a full sync on iptables-nft (0: one transaction). Its restore
 * cost grows with the square of the chains one input names (nft-cache's sorted chain list):
 * 5,000 Services × 10 endpoints in one input took 8.5 min here; a full sync in ~2,000-chain
 * pieces 4.6 s (test/bench/proxy.ts).
 * Legacy rewrites the whole table per COMMIT, so there one transaction is cheapest.
 */
const NFT_CHUNK_CHAINS = 2000;

export class Proxier {
  private knownChains?: Set<string>; // KUBE-SVC/EXT/SEP chains in the kernel after our last restore
  private fragments = new Map<string, Fragment>();
  private large = false; // upstream's largeClusterMode when the kernel rules were written
  private needFullSync = true;
  /** Chains per piece of an nft full sync or cleanup (tests lower it). */
  nftChunkChains = NFT_CHUNK_CHAINS;
  private counts = { nat: 0, filter: 0 };

  constructor(
    private readonly ipt: Iptables,
    private readonly config: ProxyConfig,
    private readonly state: () => ProxyState,
    private readonly log?: Logger,
  ) {}

  /** The next sync rewrites everything and re-checks the jump rules. */
  forceFullSync(): void { this.needFullSync = true; }

  /**
   * changed: Service keys ("ns/name") whose entry may differ from the last sync; undefined
   * means "any of them". Ignored on a full sync.
   */
  async syncProxyRules(changed?: Iterable<string>): Promise<SyncStats> {
    const t0 = performance.now();
    const state = this.state();
    // Crossing the 1,000-endpoint line changes every endpoint rule: rewrite them all.
    const large = isLargeCluster(state);
    const fullSync = this.needFullSync || !this.knownChains || large !== this.large;
    let text: string, chunks: string[] = [], next: Map<string, Fragment>, keys: Iterable<string>, stale: number, changedServices: number;
    let chains: Set<string>;
    let missingJumps: typeof JUMP_RULES = [];
    let tSave = t0;
    if (fullSync) {
      // What the kernel holds: our chains (stale ones get deleted) and the jumps into them
      // (someone may have removed them). Two saves instead of a -C per jump rule.
      const natSave = await this.ipt.save('nat');
      const filterSave = await this.ipt.save('filter');
      const existing = new Set([...chainsInSave(natSave), ...(this.knownChains ?? [])]);
      missingJumps = JUMP_RULES.filter((j) => !(j.table === 'nat' ? natSave : filterSave).includes(jumpLine(j)));
      tSave = performance.now();
      next = renderAll(state, this.config, large);
      const r = renderRules(state, this.config, existing, next, this.ipt.backend.mode === 'nft' ? this.nftChunkChains : 0);
      text = withJumps(r.text, missingJumps); chunks = r.chunks; chains = r.serviceChains; stale = r.staleChains.length;
      this.counts = { ...r.ruleCount };
      keys = new Set([...this.fragments.keys(), ...next.keys()]);
      changedServices = next.size;
    } else {
      keys = changed ? new Set(changed) : new Set([...this.fragments.keys(), ...state.services.keys()]);
      next = new Map(this.fragments);
      for (const key of keys) {
        const entry = state.services.get(key);
        if (entry) next.set(key, renderService(entry, this.config, large)); else next.delete(key);
      }
      const p = renderPartial(this.fragments, next, keys);
      text = p.text; stale = p.staleChains.length; changedServices = p.changed;
      chains = this.knownChains!;
      for (const c of p.staleChains) chains.delete(c);
      for (const key of keys) {
        const a = this.fragments.get(key), b = next.get(key);
        if (a === b || signatureOf(a) === signatureOf(b)) continue;
        for (const c of b?.chains.keys() ?? []) chains.add(c);
        this.adjustCounts(a, -1);
        this.adjustCounts(b, +1);
      }
    }
    const t1 = performance.now();
    try {
      for (const c of chunks) await this.ipt.restore(c);
      if (text) await this.ipt.restore(text);
    } catch (err) {
      syncFailures.inc();
      if (!fullSync) partialSyncFailures.inc();
      this.needFullSync = true; // the kernel state is now unknown: the next sync reads it back
      this.knownChains = undefined;
      throw err;
    }
    const t2 = performance.now();
    const t2j = performance.now();
    const before = this.fragments;
    this.fragments = next;
    this.knownChains = chains;
    this.large = large;
    this.needFullSync = false;
    const conntrackDeletes = await this.clearStaleUdp(before, next, keys);
    const t3 = performance.now();

    syncDuration.observe((t3 - t0) / 1000);
    syncKindDuration.observe({ kind: fullSync ? 'full' : 'partial' }, (t3 - t0) / 1000);
    lastSyncTimestamp.setToCurrentTime();
    ruleCount.set({ table: 'nat' }, this.counts.nat);
    ruleCount.set({ table: 'filter' }, this.counts.filter);
    const stats: SyncStats = {
      saveMs: tSave - t0, renderMs: t1 - tSave, applyMs: t2 - t1, jumpsMs: t2j - t2, totalMs: t3 - t0, fullSync,
      lines: countLines(text) + chunks.reduce((n, c) => n + countLines(c), 0), stale, changedServices, conntrackDeletes,
    };
    this.log?.debug(stats, 'synced proxy rules');
    return stats;
  }

  private adjustCounts(f: Fragment | undefined, sign: 1 | -1): void {
    if (!f) return;
    let own = 0;
    for (const rules of f.chains.values()) own += rules.length;
    this.counts.nat += sign * (f.natServices.length + f.natNodePorts.length + own);
    this.counts.filter += sign * (f.filterServices.length + f.filterExternal.length);
  }

  /**
   * UDP has no connection close: conntrack entries keep sending datagrams to an endpoint that
   * is gone, or (after a REJECT) nowhere. Delete them as upstream does; best effort.
   */
  private async clearStaleUdp(before: Map<string, Fragment>, after: Map<string, Fragment>, keys: Iterable<string>): Promise<number> {
    const jobs: string[][] = [];
    for (const key of keys) {
      const a = before.get(key), b = after.get(key);
      if (!a?.udp.length || a === b) continue;
      const now = new Set(b?.udp ?? []);
      for (const entry of a.udp) {
        if (now.has(entry)) continue;
        const { clusterIP, nodePort, ip } = parseUdp(entry);
        if (!ip) continue;
        jobs.push(['-p', 'udp', '--orig-dst', clusterIP, '--dst-nat', ip]);
        if (nodePort) jobs.push(['-p', 'udp', '--orig-port-dst', String(nodePort), '--dst-nat', ip]);
      }
      // A port that had no endpoint and now has: entries made while it rejected must go.
      for (const entry of a.udp) {
        const { clusterIP, nodePort, ip } = parseUdp(entry);
        if (ip || !b?.udp.some((e) => e.startsWith(`${clusterIP}|${nodePort ?? ''}|`) && parseUdp(e).ip)) continue;
        jobs.push(['-p', 'udp', '--orig-dst', clusterIP]);
        if (nodePort) jobs.push(['-p', 'udp', '--orig-port-dst', String(nodePort)]);
      }
    }
    for (const args of jobs) await this.ipt.conntrackDelete(args);
    return jobs.length;
  }

  /** Removes every rule and chain kube-proxy owns (jumps first, then our chains). */
  async cleanupRules(): Promise<void> {
    for (const rule of [...JUMP_RULES, ...OLD_JUMP_RULES]) await this.ipt.deleteRule(rule);
    const nat = chainsInSave(await this.ipt.save('nat')).filter((c) => isServiceChain(c) || (NAT_CHAINS as readonly string[]).includes(c));
    const filter = chainsInSave(await this.ipt.save('filter')).filter((c) => (FILTER_CHAINS as readonly string[]).includes(c));
    for (const text of cleanupTexts(filter, nat, this.ipt.backend.mode === 'nft' ? this.nftChunkChains : 0)) await this.ipt.restore(text);
    this.knownChains = undefined;
    this.fragments = new Map();
    this.needFullSync = true;
  }
}

/**
 * Restore inputs deleting our chains. Chunked (nft): first the shared nat chains are flushed,
 * then the per-Service chains in pieces (so nothing jumps to them), then deleted in pieces.
 */
export function cleanupTexts(filter: string[], nat: string[], chunk: number): string[] {
  const section = (table: string, flush: string[], del: string[]) =>
    (flush.length || del.length ? [`*${table}`, ...flush.map((c) => `:${c} - [0:0]`), ...del.map((c) => `-X ${c}`), 'COMMIT'] : []);
  const whole = (f: string[], n: string[]) => [...section('filter', f, f), ...section('nat', n, n), ''].join('\n');
  const own = nat.filter(isServiceChain);
  if (!chunk || own.length <= chunk) return filter.length || nat.length ? [whole(filter, nat)] : [];
  const texts = [[...section('nat', nat.filter((c) => c === 'KUBE-SERVICES' || c === 'KUBE-NODEPORTS'), []), ''].join('\n')];
  for (const del of [false, true]) {
    for (let i = 0; i < own.length; i += chunk) {
      const part = own.slice(i, i + chunk);
      texts.push([...section('nat', del ? [] : part, del ? part : []), ''].join('\n'));
    }
  }
  texts.push(whole(filter, nat.filter((c) => !isServiceChain(c))));
  return texts.filter((t) => t.trim());
}

/** A jump rule as iptables-save prints it. */
function jumpLine(j: { chain: string; args: string[] }): string {
  return `-A ${j.chain} ` + j.args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ') + '\n';
}

/**
 * Adds the jumps the saves lacked to a full restore text, first in their built-in chains. Only
 * missing ones: with --noflush, a jump in every restore would be appended again and again.
 */
function withJumps(text: string, missing: typeof JUMP_RULES): string {
  if (missing.length === 0) return text;
  const lines = (table: string) => missing.filter((j) => j.table === table).map((j) => jumpLine(j).replace(/^-A (\S+)/, '-I $1 1'));
  const f = text.indexOf('COMMIT\n'); // end of *filter
  const n = text.lastIndexOf('COMMIT\n'); // end of *nat
  return text.slice(0, f) + lines('filter').join('') + text.slice(f, n) + lines('nat').join('') + text.slice(n);
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
