// The "iptables-wrapper": picks the legacy or nft backend at start the way kubernetes-sigs'
// iptables-wrappers does — follow the kubelet's hint chains if any, else whichever backend
// already holds more rules, nft on a tie (and when both are empty).
import { existsSync } from 'node:fs';
import { run, type Backend } from './exec.js';

export type Mode = 'legacy' | 'nft';

/** What the probe saw in each backend. */
export interface BackendProbe {
  nftHint: boolean; // :KUBE-IPTABLES-HINT or :KUBE-KUBELET-CANARY in nft's mangle table
  legacyHint: boolean; // the same in legacy's tables
  nftRules: number; // lines starting with "-" in iptables-nft-save
  legacyRules: number;
}

const HINT = /^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)\s/m;

/** The decision itself, pure: the same order of checks as iptables-wrapper-installer.sh. */
export function decideMode(p: BackendProbe): Mode {
  if (p.nftHint) return 'nft';
  if (p.legacyHint) return 'legacy';
  return p.legacyRules > p.nftRules ? 'legacy' : 'nft';
}

export const countRules = (saveText: string): number => saveText.split('\n').filter((l) => l.startsWith('-')).length;
export const hasHint = (saveText: string): boolean => HINT.test(saveText);

export function backendFor(mode: Mode | 'default'): Backend {
  if (mode === 'default') return { mode, iptables: 'iptables', save: 'iptables-save', restore: 'iptables-restore' };
  return { mode, iptables: `iptables-${mode}`, save: `iptables-${mode}-save`, restore: `iptables-${mode}-restore` };
}

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const installed = (bin: string): boolean => SBIN.some((d) => existsSync(`${d}/${bin}`));

/**
 * Probes both backends (through prefix, e.g. `ip netns exec X`) and returns the one to use.
 * TSKUBE_IPTABLES_MODE=legacy|nft forces a choice; a system with only plain `iptables`
 * gets that one.
 */
export async function detectBackend(prefix: string[] = [], env = process.env): Promise<Backend> {
  const forced = env.TSKUBE_IPTABLES_MODE;
  if (forced === 'legacy' || forced === 'nft') return backendFor(forced);
  const haveNft = installed('iptables-nft-save'), haveLegacy = installed('iptables-legacy-save');
  if (!haveNft && !haveLegacy) return backendFor('default');
  if (!haveNft) return backendFor('legacy');
  if (!haveLegacy) return backendFor('nft');

  const save = async (argv: string[]) => (await run([...prefix, ...argv])).stdout;
  const nftMangle = await save(['timeout', '5', 'iptables-nft-save', '-t', 'mangle']);
  // Never pass -t to legacy-save: it would create the table in the kernel.
  const legacyAll = await save(['iptables-legacy-save']);
  const probe: BackendProbe = { nftHint: hasHint(nftMangle), legacyHint: hasHint(legacyAll), nftRules: 0, legacyRules: countRules(legacyAll) };
  if (!probe.nftHint && !probe.legacyHint) probe.nftRules = countRules(await save(['timeout', '5', 'iptables-nft-save']));
  return backendFor(decideMode(probe));
}
