// `tskube lab …`: a master and N workers on one machine, each a network namespace with its
// own runtime (containerd, or dockerd + dockershim) and agent, joined like Vagrant's private network. Subcommands: up, down,
// exec, status. The steps themselves live in up.ts/down.ts and the bash scripts they run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { kubeconfigFile } from './config.js';
import { down } from './down.js';
import { alive, allPidFiles, daemonEnv, readPid } from './procs.js';
import { readState, stateNode } from './state.js';
import { up } from './up.js';

const USAGE = `usage: tskube lab up [--workers N] [--docker-workers M] [--storage sqlite|etcd]
                                         create the lab (default 2 workers, sqlite); the last
                                         M ≤ N workers run dockerd + dockershim, not containerd
       tskube lab down                   remove everything the lab made
       tskube lab exec <node> -- <cmd…>  run a command inside a node's namespaces
       tskube lab status                 nodes and daemons`;

export async function main(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  let code: number;
  switch (sub) {
    case 'up': {
      const workers = numberFlag(rest, '--workers', 2);
      const dockerWorkers = numberFlag(rest, '--docker-workers', 0);
      if (dockerWorkers > workers) throw new Error(`--docker-workers ${dockerWorkers} is more than --workers ${workers}`);
      code = await up({ workers, dockerWorkers, storage: storageFlag(rest) });
      break;
    }
    case 'down':
      code = await down();
      break;
    case 'exec':
      code = exec(rest);
      break;
    case 'status':
      code = status();
      break;
    default:
      process.stderr.write(`${USAGE}\n`);
      code = sub ? 2 : 0;
  }
  process.exit(code);
}

/** --storage sqlite (default, embedded) | etcd (an etcd in the master's netns). */
function storageFlag(rest: string[]): 'sqlite' | 'etcd' {
  const i = rest.findIndex((a) => a === '--storage' || a.startsWith('--storage='));
  if (i < 0) return 'sqlite';
  const v = rest[i]!.includes('=') ? rest[i]!.split('=')[1] : rest[i + 1];
  if (v !== 'sqlite' && v !== 'etcd') throw new Error(`--storage wants sqlite or etcd, got ${v}`);
  return v;
}

function numberFlag(rest: string[], flag: string, dflt: number): number {
  const i = rest.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return dflt;
  const v = rest[i]!.includes('=') ? rest[i]!.split('=')[1] : rest[i + 1];
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 200) throw new Error(`${flag} wants a number 0…200, got ${v}`);
  return n;
}

/** nsenter into the node holder's mount + net namespaces; stdio inherited, its exit code back. */
function exec(rest: string[]): number {
  const [nodeName, sep, ...cmd] = rest;
  if (!nodeName || sep !== '--' || cmd.length === 0) {
    process.stderr.write('usage: tskube lab exec <node> -- <command…>\n');
    return 2;
  }
  const holder = readPid(`holder-${nodeName}`);
  if (!alive(holder)) {
    process.stderr.write(`tskube lab: node ${nodeName} is not up (tskube lab status)\n`);
    return 1;
  }
  const res = spawnSync('nsenter', ['-t', String(holder), '-m', '-n', `--wd=${process.cwd()}`, '--', ...cmd], {
    stdio: 'inherit',
    env: daemonEnv({ KUBECONFIG: process.env.KUBECONFIG ?? kubeconfigFile }),
  });
  if (res.error) {
    process.stderr.write(`tskube lab exec: ${res.error.message}\n`);
    return 127;
  }
  if (res.signal) return 128 + (({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }) as Record<string, number>)[res.signal]!;
  return res.status ?? 1;
}

function status(): number {
  const state = readState();
  const pids = allPidFiles();
  if (!state && pids.size === 0) {
    console.log('tskube lab: down');
    return 0;
  }
  console.log(`tskube lab: up since ${state?.startedAt ?? '?'}; kubeconfig ${existsSync(kubeconfigFile) ? kubeconfigFile : '(none)'}`);
  for (const name of state?.nodes ?? []) {
    const n = stateNode(name);
    const daemons = [`holder-${name}`, `containerd-${name}`, `dockerd-${name}`, `dockershim-${name}`, `agent-${name}`]
      .filter((d) => pids.has(d))
      .map((d) => `${d.split('-')[0]} ${alive(pids.get(d)) ? pids.get(d) : 'DEAD'}`);
    console.log(`  ${name.padEnd(10)} ${n.ns.padEnd(18)} ${n.runtime.padEnd(10)} ${daemons.join('  ')}`);
  }
  for (const d of ['registry', 'server']) {
    if (pids.has(d)) console.log(`  ${d.padEnd(10)} ${alive(pids.get(d)) ? `pid ${pids.get(d)}` : 'DEAD'}`);
  }
  return 0;
}
