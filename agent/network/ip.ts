// Runs iproute2's `ip` (optionally behind a prefix such as `ip netns exec X` for tests) and
// reads/writes the node's networking sysctls through /proc/sys.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

/** Runs `ip args…`; resolves stdout, rejects with stderr on a non-zero exit. */
export function ip(prefix: string[], args: string[]): Promise<string> {
  const argv = [...prefix, 'ip', ...args];
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** Sets a sysctl (dotted name) unless it already has that value; false if it does not exist. */
export async function ensureSysctl(name: string, value: string, prefix: string[] = []): Promise<boolean> {
  const file = '/proc/sys/' + name.replace(/\./g, '/');
  if (prefix.length) {
    // Another namespace: /proc/sys/net belongs to the reader's netns, so go through sysctl there.
    return new Promise((resolve) => execFile(prefix[0], [...prefix.slice(1), 'sysctl', '-qw', `${name}=${value}`], (err) => resolve(!err)));
  }
  const cur = await readFile(file, 'utf8').catch(() => undefined);
  if (cur === undefined) return false;
  if (cur.trim() !== value) await writeFile(file, value);
  return true;
}
