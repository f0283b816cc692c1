// Test harness: a private dockerd (own data-root, exec-root, socket, pidfile; no bridge, no
// iptables; cgroupfs under a per-run cgroup parent; its own containerd, the host's socket hidden)
// inside its own network + mount namespace, the layout registry as its docker.io mirror, and
// `tskube dockershim` serving CRI on it. Same node as cri-containerd.ts; stop() undoes everything.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { connectCri } from '../../agent/cri/client.js';
import { startTestNode, type NodeOptions, type TestContainerd } from './cri-containerd.js';

export interface TestDocker extends TestContainerd {
  /** Kills dockershim (SIGKILL, as a crash) and starts it again on the same dockerd and state. */
  restartShim(): Promise<void>;
}

async function waitFile(path: string, what: string, child: ChildProcess, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (Date.now() > until) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startTestDocker(opts: NodeOptions = {}): Promise<TestDocker> {
  let startShim: (() => ChildProcess) | undefined;
  let shim: ChildProcess | undefined;
  const node = await startTestNode({ ...opts, prefix: 'tskube-crid', defaultSubnet: '10.244.249.0/24', hideContainerd: true, dirs: ['docker', 'x', 'dockershim'] }, async (n) => {
    const { dir } = n;
    // 20.10 writes a trust key to /etc/docker unless told otherwise: keep it in this run's dir.
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }) + '\n');
    const sock = join(dir, 'docker.sock');
    const dockerd = n.spawnIn(['dockerd',
      '--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'docker'), '--exec-root', join(dir, 'x'),
      '-H', `unix://${sock}`, '--pidfile', join(dir, 'docker.pid'),
      '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--userland-proxy=false',
      '--exec-opt', 'native.cgroupdriver=cgroupfs', '--cgroup-parent', n.cgroupRoot,
      '--registry-mirror', 'http://127.0.0.1:5000', '--insecure-registry', '127.0.0.1:5000', '--log-level', 'warn'], 'dockerd.log');
    await waitFile(sock, 'dockerd', dockerd);
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tskube.js');
    startShim = () => n.spawnIn([process.execPath, bin, 'dockershim',
      '--docker-endpoint', `unix://${sock}`, '--listen', `unix://${dir}/dockershim.sock`,
      '--cni-conf-dir', join(dir, 'cni/net.d'), '--cni-bin-dir', '/usr/lib/cni', '--cgroup-root', n.cgroupRoot,
      '--root-dir', join(dir, 'dockershim'), '--streaming-address', `${n.linkIp ?? '127.0.0.1'}:0`],
    'dockershim.log', { ...process.env, TSKUBE_LOG_LEVEL: process.env.TSKUBE_LOG_LEVEL ?? 'debug' });
    shim = startShim();
    return connectCri(`unix://${dir}/dockershim.sock`, { waitMs: 20_000 });
  });
  const restartShim = async () => {
    const old = shim!;
    const gone = new Promise((r) => old.once('exit', r));
    old.kill('SIGKILL');
    await gone;
    shim = startShim!();
    const until = Date.now() + 20_000;
    for (;;) {
      try { await node.cri.version(); return; } catch (err) { if (Date.now() > until) throw err; }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { ...node, restartShim };
}
