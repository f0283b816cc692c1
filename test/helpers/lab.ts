// Test helper: what a lab could leave on the machine — netns, the host veth, processes in lab
// namespaces, mounts under the checkout, cgroups under /tskube — as a list of readable lines.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { repoRoot } from './server.js';

export function labLeftovers(): string[] {
  const left: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('tskube-'));
  left.push(...netns.map((n) => `netns ${n}`));
  if (execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).includes('tskube0')) left.push('host veth tskube0');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(`${repoRoot}/.lab`) || l.includes('/run/netns/tskube-'));
  left.push(...mounts.map((m) => `mount ${m.split(' ')[4]}`));
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(`${repoRoot}/.lab/`)) left.push(`process ${pid} ${cmd.slice(0, 80)}`);
    } catch { /* gone */ }
  }
  for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    if (existsSync(`/sys/fs/cgroup/${h}/tskube`)) left.push(`cgroup /sys/fs/cgroup/${h}/tskube`);
  }
  return left;
}
