// Runs the iptables binaries of one backend: restore (stdin), save, and the -C/-I jump rules
// that must stay outside the restore text. A command prefix (e.g. `ip netns exec X`) lets
// tests and benchmarks aim at a scratch network namespace.
import { spawn } from 'node:child_process';
import type { JumpRule } from './render.js';

export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs argv[0] with the rest as arguments, feeding stdin; never throws for exit codes. */
export function run(argv: string[], stdin?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => { /* reported through close */ });
    child.stdin.end(stdin ?? '');
  });
}

export class IptablesError extends Error {
  constructor(readonly argv: string[], readonly result: RunResult) {
    super(`${argv.join(' ')} exited ${result.code}: ${result.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  }
}

/** The three binaries of one backend, e.g. iptables-nft / -nft-save / -nft-restore. */
export interface Backend { mode: 'legacy' | 'nft' | 'default'; iptables: string; save: string; restore: string }

export class Iptables {
  constructor(readonly backend: Backend, private readonly prefix: string[] = []) {}

  /** One atomic transaction: iptables-restore -w --noflush < text. */
  async restore(text: string): Promise<void> {
    const argv = [...this.prefix, this.backend.restore, '-w', '--noflush'];
    const r = await run(argv, text);
    if (r.code !== 0) throw new IptablesError(argv, r);
  }

  async save(table: 'nat' | 'filter'): Promise<string> {
    const argv = [...this.prefix, this.backend.save, '-t', table];
    const r = await run(argv);
    if (r.code !== 0) throw new IptablesError(argv, r);
    return r.stdout;
  }

  /** `iptables -C … || iptables -I …`: insert a jump rule once, first in its chain. */
  async ensureRule(rule: JumpRule): Promise<boolean> {
    const base = [...this.prefix, this.backend.iptables, '-w', '-t', rule.table];
    if ((await run([...base, '-C', rule.chain, ...rule.args])).code === 0) return false;
    const argv = [...base, '-I', rule.chain, ...rule.args];
    const r = await run(argv);
    if (r.code !== 0) throw new IptablesError(argv, r);
    return true;
  }

  /** Creates an empty chain unless it exists (e.g. the KUBE-IPTABLES-HINT chain in mangle). */
  async ensureChain(table: string, chain: string): Promise<void> {
    await run([...this.prefix, this.backend.iptables, '-w', '-t', table, '-N', chain]); // exists → exit 1, fine
  }

  /** `conntrack -D …`: deletes matching flows; true if any were deleted (exit 1 = none matched). */
  async conntrackDelete(args: string[]): Promise<boolean> {
    return (await run([...this.prefix, 'conntrack', '-D', ...args])).code === 0;
  }

  /** Deletes every copy of a jump rule; quiet when absent. */
  async deleteRule(rule: JumpRule): Promise<void> {
    const base = [...this.prefix, this.backend.iptables, '-w', '-t', rule.table];
    for (let i = 0; i < 10; i++) {
      if ((await run([...base, '-D', rule.chain, ...rule.args])).code !== 0) return;
    }
  }
}
