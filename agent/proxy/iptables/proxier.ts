// The iptables proxier: syncProxyRules() reads the model, renders the whole rule set and
// applies it in one iptables-restore. Existing chains come from iptables-save only on a full
// sync (first one, after a failure, on the resync timer); otherwise from what we last wrote.
import type { Logger } from 'pino';
import type { ProxyConfig, ProxyState } from '../types.js';
import { lastSyncTimestamp, ruleCount, syncDuration, syncFailures } from '../metrics.js';
import { Iptables } from './exec.js';
import { chainsInSave, FILTER_CHAINS, isServiceChain, JUMP_RULES, NAT_CHAINS, renderRules, type RenderResult } from './render.js';

export interface SyncStats { renderMs: number; applyMs: number; totalMs: number; fullSync: boolean; lines: number; stale: number }

export class Proxier {
  private knownChains?: Set<string>; // KUBE-SVC/SEP chains in the kernel after our last restore
  private needFullSync = true;

  constructor(
    private readonly ipt: Iptables,
    private readonly config: ProxyConfig,
    private readonly state: () => ProxyState,
    private readonly log?: Logger,
  ) {}

  /** The next sync re-reads the kernel's chains and re-checks the jump rules. */
  forceFullSync(): void { this.needFullSync = true; }

  async syncProxyRules(): Promise<SyncStats> {
    const t0 = performance.now();
    const fullSync = this.needFullSync || !this.knownChains;
    const existing = fullSync ? chainsInSave(await this.ipt.save('nat')) : this.knownChains!;
    const t1 = performance.now();
    const result: RenderResult = renderRules(this.state(), this.config, existing);
    const t2 = performance.now();
    try {
      await this.ipt.restore(result.text);
    } catch (err) {
      syncFailures.inc();
      this.needFullSync = true; // the kernel state is now unknown
      throw err;
    }
    const t3 = performance.now();
    if (fullSync) {
      // After the restore created our chains: --noflush would append the jumps again on every
      // restore, so they live outside it, checked and inserted once per full sync.
      for (const rule of JUMP_RULES) await this.ipt.ensureRule(rule);
    }
    const t4 = performance.now();
    this.knownChains = result.serviceChains;
    this.needFullSync = false;

    syncDuration.observe((t4 - t0) / 1000);
    lastSyncTimestamp.setToCurrentTime();
    ruleCount.set({ table: 'nat' }, result.ruleCount.nat);
    ruleCount.set({ table: 'filter' }, result.ruleCount.filter);
    const stats: SyncStats = {
      renderMs: t2 - t1, applyMs: t3 - t2, totalMs: t4 - t0, fullSync,
      lines: countLines(result.text), stale: result.staleChains.length,
    };
    this.log?.debug(stats, 'synced proxy rules');
    return stats;
  }

  /** Removes every rule and chain kube-proxy owns (jumps first, then our chains). */
  async cleanupRules(): Promise<void> {
    for (const rule of JUMP_RULES) await this.ipt.deleteRule(rule);
    const nat = chainsInSave(await this.ipt.save('nat')).filter((c) => isServiceChain(c) || (NAT_CHAINS as readonly string[]).includes(c));
    const filter = chainsInSave(await this.ipt.save('filter')).filter((c) => (FILTER_CHAINS as readonly string[]).includes(c));
    const section = (table: string, chains: string[]) =>
      chains.length ? [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT'] : [];
    const text = [...section('filter', filter), ...section('nat', nat), ''].join('\n');
    if (text.trim()) await this.ipt.restore(text);
    this.knownChains = undefined;
    this.needFullSync = true;
  }
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
