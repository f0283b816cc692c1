// Test harness: a private containerd (own root, state, socket, runc root, CNI conf and IPAM dir)
// inside its own network + mount namespace, as the lab runs one per node, with a layout registry
// in that netns serving the pause and busybox images as docker.io. stop() undoes everything.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectCri } from '../../agent/cri/client.js';
import type { CriRuntime } from '../../agent/cri/runtime.js';
import { CONFLIST_NAME, renderConflist } from '../../agent/network/cni-config.js';

export interface TestContainerd {
  cri: CriRuntime;
  endpoint: string;
  dir: string;
  netns: string;
  holderPid: number;
  /** cgroupfs parent for this run's pods, e.g. /tskube-cri-1234 */
  cgroupRoot: string;
  podSubnet: string;
  /** With hostLink: the netns end of the veth, where the CRI streaming server listens; pod IPs are routed via it. */
  linkIp?: string;
  stop(): Promise<void>;
}

const CGROUP_V1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'];

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

/** Builds (or reuses) the pause and busybox OCI layouts with scripts/images/build.sh. */
export function buildTestImages(): string {
  const out = process.env.TSKUBE_IMAGES ?? '/tmp/tskube-cri-images';
  const script = join(repoRoot(), 'scripts', 'images', 'build.sh');
  if (!existsSync(script)) throw new Error(`${script} missing: cannot build test images`);
  execFileSync('bash', [script, 'pause', 'busybox'], { env: { ...process.env, TSKUBE_IMAGES: out }, stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

export function waitLine(child: ChildProcess, word: string, what: string, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start`)), ms);
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes(word)) { clearTimeout(t); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`${what} exited with ${code}`)); });
  });
}

function config(dir: string, streamAddress = '127.0.0.1'): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[${cri}]
  sandbox_image = "docker.io/library/pause:3.9"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "${streamAddress}"
  stream_server_port = "0"
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        Root = "${dir}/runc"
        SystemdCgroup = false
  [${cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni/net.d"
    max_conf_num = 1
  [${cri}.registry]
    config_path = "${dir}/certs.d"
`;
}

/** The node's CNI conflist exactly as the agent writes it (agent/network), under <dir>/cni/net.d. */
export function writeCniConf(dir: string, podSubnet: string): void {
  writeFileSync(join(dir, 'cni/net.d', CONFLIST_NAME), JSON.stringify(renderConflist({ podCIDR: podSubnet, ipamDataDir: join(dir, 'ipam') })));
}

/** The holder owns the mount + net namespace: cgroup v1 remounts, per-run shim and CNI cache dirs.
 * hideContainerd puts tmpfs over /run/containerd and /run/docker so a dockerd inside runs its own
 * containerd and leaves nothing in the host's /run/docker. */
export function holderScript(dir: string, hideContainerd = false): string {
  const cg = CGROUP_V1.map((c) => `mkdir -p /sys/fs/cgroup/${c} && mount -t cgroup -o ${c} cgroup /sys/fs/cgroup/${c}`).join('\n');
  return `set -e
ip link set lo up
mount -t tmpfs cgroup_root /sys/fs/cgroup
${cg}
mkdir -p /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified
${hideContainerd ? 'mkdir -p /run/containerd /run/docker && mount -t tmpfs tmpfs /run/containerd && mount -t tmpfs tmpfs /run/docker' : ''}
mkdir -p /run/containerd/s /var/lib/cni
mount --bind ${dir}/shim /run/containerd/s
mount --bind ${dir}/cni-cache /var/lib/cni
echo ready
exec sleep infinity`;
}

/** A veth from this (root) netns into the node netns with a route to the pod subnet, as a node's
 * kubelet sees its pods: probes, the streaming server and pod IPs become reachable from here. */
export function hostLink(netns: string, podSubnet: string): string {
  const n = process.pid % 250;
  const host = `172.30.${n}.1`, peer = `172.30.${n}.2`;
  const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  sh(`ip link add tkc${process.pid}h type veth peer name tkc${process.pid}n netns ${netns}
ip addr add ${host}/30 dev tkc${process.pid}h && ip link set tkc${process.pid}h up
ip netns exec ${netns} sh -c 'ip addr add ${peer}/30 dev tkc${process.pid}n && ip link set tkc${process.pid}n up && sysctl -qw net.ipv4.ip_forward=1'
ip route add ${podSubnet} via ${peer}`);
  return peer;
}

/** A node's namespaces as a runtime harness gets them, before its runtime starts. */
export interface NodeNamespace {
  dir: string; netns: string; holderPid: number; cgroupRoot: string; podSubnet: string; linkIp?: string;
  /** Starts a process inside the node's mount + net namespace; stop() kills it. */
  spawnIn(cmd: string[], logName: string, env?: NodeJS.ProcessEnv): ChildProcess;
}

export interface NodeOptions { subnet?: string; hostLink?: boolean }

/** The node around a runtime: netns (+ optional host link), namespace holder, layout registry as
 * docker.io on 127.0.0.1:5000, CNI config; `runtime` starts the CRI server in it. stop() undoes all. */
export async function startTestNode(o: NodeOptions & { prefix: string; defaultSubnet: string; hideContainerd?: boolean; dirs?: string[] },
  runtime: (n: NodeNamespace) => Promise<CriRuntime>): Promise<TestContainerd> {
  const images = buildTestImages();
  const dir = mkdtempSync(`/tmp/${o.prefix}-`);
  const netns = `${o.prefix}-${process.pid}`;
  const cgroupRoot = `/${o.prefix}-${process.pid}`;
  const podSubnet = o.subnet ?? o.defaultSubnet;
  for (const d of ['shim', 'cni-cache', 'cni/net.d', 'ipam', 'logs', ...(o.dirs ?? [])]) mkdirSync(join(dir, d), { recursive: true });
  writeCniConf(dir, podSubnet);
  let linkIp: string | undefined;
  const children: ChildProcess[] = [];
  let cri: CriRuntime | undefined;
  let holderPid = 0;
  const stop = async () => {
    if (cri) {
      try {
        for (const s of await cri.listPodSandbox()) {
          await cri.stopPodSandbox(s.id).catch(() => {});
          await cri.removePodSandbox(s.id).catch(() => {});
        }
      } catch { /* the runtime is already gone */ }
      cri.close();
    }
    for (const c of children.reverse()) await kill(c);
    if (holderPid) killNamespaceLeftovers(holderPid);
    try { execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' }); } catch { /* not created */ }
    if (linkIp) { try { execFileSync('ip', ['link', 'del', `tkc${process.pid}h`], { stdio: 'ignore' }); } catch { /* gone with the netns */ } }
    removeCgroups(cgroupRoot);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    execFileSync('ip', ['netns', 'add', netns]);
    if (o.hostLink) linkIp = hostLink(netns, podSubnet);
    const holder = spawn('ip', ['netns', 'exec', netns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', holderScript(dir, o.hideContainerd)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(holder);
    await waitLine(holder, 'ready', 'namespace holder');
    holderPid = findHolder(holder.pid!);
    const registryJs = join(dirname(fileURLToPath(import.meta.url)), 'cri-registry.js');
    const reg = spawn('nsenter', ['-t', String(holderPid), '-n', process.execPath, registryJs, images, '127.0.0.1:5000'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(reg);
    await waitLine(reg, 'ready', 'layout registry');
    const spawnIn = (cmd: string[], logName: string, env?: NodeJS.ProcessEnv) => {
      const log = openSync(join(dir, 'logs', logName), 'a');
      const c = spawn('nsenter', ['-t', String(holderPid), '-m', '-n', ...cmd], { stdio: ['ignore', log, log], ...(env ? { env } : {}) });
      children.push(c);
      return c;
    };
    cri = await runtime({ dir, netns, holderPid, cgroupRoot, podSubnet, ...(linkIp ? { linkIp } : {}), spawnIn });
    return { cri, endpoint: cri.endpoint, dir, netns, holderPid, cgroupRoot, podSubnet, ...(linkIp ? { linkIp } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function startTestContainerd(opts: NodeOptions = {}): Promise<TestContainerd> {
  return startTestNode({ ...opts, prefix: 'tskube-cri', defaultSubnet: '10.244.250.0/24', dirs: ['certs.d/docker.io'] }, async (n) => {
    writeFileSync(join(n.dir, 'certs.d/docker.io/hosts.toml'),
      'server = "http://127.0.0.1:5000"\n[host."http://127.0.0.1:5000"]\n  capabilities = ["pull", "resolve"]\n');
    writeFileSync(join(n.dir, 'config.toml'), config(n.dir, n.linkIp));
    n.spawnIn(['containerd', '--config', join(n.dir, 'config.toml')], 'containerd.log');
    return connectCri(`unix://${n.dir}/containerd.sock`, { waitMs: 20_000 });
  });
}

/** The `sleep` that owns the namespaces: `ip` execs `unshare`, which may fork before exec'ing sh. */
export function findHolder(pid: number): number {
  for (let p = pid, i = 0; i < 3; i++) {
    const comm = execFileSync('cat', [`/proc/${p}/comm`]).toString().trim();
    if (comm === 'sleep') return p;
    const kids = execFileSync('sh', ['-c', `pgrep -P ${p} || true`]).toString().trim().split('\n').filter(Boolean);
    if (!kids.length) return p;
    p = Number(kids[0]);
  }
  return pid;
}

export async function kill(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
  const done = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

/** Kills processes left in the holder's mount namespace (e.g. shims), then the holder. */
export function killNamespaceLeftovers(holderPid: number): void {
  let ns: string;
  try { ns = readlinkSync(`/proc/${holderPid}/ns/mnt`); } catch { return; }
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (Number(p) !== holderPid && readlinkSync(`/proc/${p}/ns/mnt`) === ns) process.kill(Number(p), 'SIGKILL');
    } catch { /* gone */ }
  }
  try { process.kill(holderPid, 'SIGKILL'); } catch { /* gone */ }
}

/** rmdir the run's cgroup tree in every hierarchy (v1 ones, systemd, and cgroup2 on unified), deepest first. */
export function removeCgroups(root: string): void {
  const rm = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(join(d, e.name));
    try { rmdirSync(d); } catch { /* busy or gone */ }
  };
  for (const c of [...CGROUP_V1, 'systemd', 'unified']) rm(join('/sys/fs/cgroup', c, root));
}
