// `tskube lab up`: images, then the network (steps/*.sh), then per node a holder (its mount +
// net namespace) and a containerd, the registry on the master, and finally the control plane
// and the agents (cluster.ts). Steps are ordered and each waits on a deadline, not a sleep.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { logger } from '../../control/client/log.js';
import { startCluster } from './cluster.js';
import { startEtcd } from './etcd.js';
import { checkout, labDir, labNodes, logsDir, REGISTRY, scriptsDir, type LabNode } from './config.js';
import { down } from './down.js';
import { preflight } from './preflight.js';
import { assertRunning, daemonEnv, readPid, run, startDaemon } from './procs.js';
import { deadDaemons, leftovers, lock, readState, writeState } from './state.js';
import { httpGet, waitFor } from './wait.js';

const log = logger('lab');
const execFileP = promisify(execFile);
export const REGISTRY_STORAGE = '/var/lib/tskube/registry';
/** Host paths containerd 1.6 / libcni hard-code; bind-mounted per node inside the holder. */
const HOST_MOUNT_POINTS = ['/run/containerd', '/var/lib/cni'];

export async function up(workers: number, storage: 'sqlite' | 'etcd' = 'sqlite'): Promise<number> {
  const problem = preflight();
  if (problem) {
    console.error(problem);
    return 1;
  }
  const release = lock();
  if (typeof release === 'number') {
    console.error(`tskube lab: another lab up/down is running (pid ${release})`);
    return 1;
  }
  try {
    return await upLocked(workers, storage);
  } finally {
    release();
  }
}

async function upLocked(workers: number, storage: 'sqlite' | 'etcd'): Promise<number> {
  const existing = readState();
  if (existing?.complete && deadDaemons().length === 0) {
    const note = existing.workers === workers ? '' : ` with ${existing.workers} workers (lab down first to change that)`;
    console.log(`tskube lab: already up${note} (${existing.nodes.join(', ')}); nothing to do`);
    console.log(`kubeconfig: ${path.join(labDir, 'kubeconfig')}`);
    return 0;
  }
  if (leftovers()) {
    console.log('tskube lab: cleaning up what a previous lab left behind');
    await down({ quiet: true, locked: true });
  }

  const started = performance.now();
  const nodes = labNodes(workers);
  mkdirSync(logsDir, { recursive: true });
  const createdDirs = HOST_MOUNT_POINTS.filter((d) => !existsSync(d));
  for (const d of createdDirs) mkdirSync(d, { recursive: true });
  const state = { workers, nodes: nodes.map((n) => n.name), createdDirs, startedAt: new Date().toISOString() };
  writeState(state);

  try {
    await step('images', () => run('bash', [path.join(scriptsDir, 'images/build.sh')]));
    await step('network', () => network(nodes));
    await step('holders', () => Promise.all(nodes.map(startHolder)));
    await step('registry', () => startRegistry(nodes[0]!));
    // Pushing and starting containerd are independent: overlap them.
    const push = step('push images', () => execFileP('bash', [path.join(scriptsDir, 'images/push.sh'), REGISTRY], { env: daemonEnv() }));
    await step('containerd', () => Promise.all(nodes.map(startContainerd)));
    await push;
    const storageUrl = storage === 'etcd' ? await step('etcd', () => startEtcd(nodes)) : undefined;
    await startCluster(nodes, storageUrl);
    writeState({ ...state, complete: true });
  } catch (err) {
    console.error(`tskube lab: up failed: ${err instanceof Error ? err.message : String(err)}`);
    console.error(`tskube lab: logs are in ${logsDir}; clean up with: tskube lab down`);
    return 1;
  }
  console.log(`tskube lab: up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

async function step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  const ms = Math.round(performance.now() - t);
  log.debug({ step: name, ms }, 'step done');
  console.log(`  ${name.padEnd(12)} ${ms} ms`);
  return out;
}

function network(nodes: LabNode[]): void {
  run('bash', [path.join(scriptsDir, 'lab/steps/01-lab-network.sh')]);
  for (const n of nodes) run('bash', [path.join(scriptsDir, 'lab/steps/02-node-network.sh'), n.name, n.ip, String(n.index)]);
}

/** The host's cgroup mounts under /sys/fs/cgroup as holder.sh wants them ("name:fstype:opts;…"). */
function cgroupMounts(): string {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    const mountpoint = pre?.split(' ')[4] ?? '';
    if (!post || !mountpoint.startsWith('/sys/fs/cgroup/')) continue;
    const [fstype, , superOpts = ''] = post.split(' ');
    const opts = superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro').join(',');
    out.push(`${mountpoint.slice('/sys/fs/cgroup/'.length)}:${fstype}:${opts}`);
  }
  if (out.length === 0) throw new Error('no cgroup hierarchies under /sys/fs/cgroup on the host');
  return out.join(';');
}

async function startHolder(n: LabNode): Promise<void> {
  mkdirSync(n.dir, { recursive: true });
  const ready = path.join(n.dir, 'holder.ready');
  rmSync(ready, { force: true });
  const pid = startDaemon(`holder-${n.name}`, 'ip', ['netns', 'exec', n.ns, 'bash', path.join(scriptsDir, 'node/holder.sh'), n.dir], {
    TSKUBE_CGROUP_MOUNTS: cgroupMounts(),
  });
  await waitFor(`holder of ${n.name} (pid ${pid}, log .lab/logs/holder-${n.name}.log)`, () => { assertRunning(`holder-${n.name}`); return existsSync(ready) || undefined; }, 10_000, 10);
  // The agent's cgroup parent exists before it starts (cgroupfs driver, v1 hierarchies).
  for (const h of cgroupMounts().split(';')) {
    const [name, fstype] = h.split(':');
    if (fstype === 'cgroup') mkdirSync(`/sys/fs/cgroup/${name}${n.cgroupRoot}`, { recursive: true });
  }
}

async function startRegistry(master: LabNode): Promise<void> {
  mkdirSync(REGISTRY_STORAGE, { recursive: true });
  startDaemon('registry', 'nsenter', [`--net=/run/netns/${master.ns}`, 'docker-registry', 'serve', path.join(scriptsDir, 'registry/config.yml')], {
    REGISTRY_HTTP_ADDR: REGISTRY,
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: REGISTRY_STORAGE,
  });
  await waitFor(`registry at http://${REGISTRY}/v2/`, () => { assertRunning('registry'); return httpGet(`http://${REGISTRY}/v2/`, 500); }, 10_000);
}

async function startContainerd(n: LabNode): Promise<void> {
  if (n.socket.length > 100) throw new Error(`socket path too long for a unix socket: ${n.socket}`);
  run('bash', [
    path.join(scriptsDir, 'node/containerd-config.sh'),
    '--out', n.config,
    '--root', path.join(n.dir, 'containerd/root'),
    '--state', path.join(n.dir, 'containerd/state'),
    '--socket', n.socket,
    '--runc-root', path.join(n.dir, 'runc'),
    '--cni-conf-dir', n.cniConfDir,
    '--certs-d', n.certsD,
    '--registry', REGISTRY,
  ]);
  const holder = readPid(`holder-${n.name}`);
  startDaemon(`containerd-${n.name}`, 'nsenter', ['-t', String(holder), '-m', '-n', `--wd=${checkout}`, 'containerd', '--config', n.config]);
  await waitFor(`containerd socket of ${n.name}`, () => { assertRunning(`containerd-${n.name}`); return existsSync(n.socket) || undefined; }, 15_000, 10);
  await waitFor(`containerd of ${n.name} to answer`, async () => {
    await execFileP('ctr', ['-a', n.socket, 'version'], { env: daemonEnv() });
    return true;
  }, 10_000);
}
