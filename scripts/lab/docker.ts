// A Docker node of the lab: dockerd started inside the node's holder (mount + net namespace)
// with its own data/exec roots, socket and pid file, no bridge and no iptables (pods get their
// network from CNI through the shim), running its own containerd; then `tskube dockershim`
// serving CRI on the node's shim socket, which the agent uses as its runtime endpoint.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { connectCri } from '../../agent/cri/client.js';
import { checkout, REGISTRY, scriptsDir, tskubeJs, type LabNode } from './config.js';
import { assertRunning, readPid, run, startDaemon } from './procs.js';
import { waitFor } from './wait.js';

/** GET on a dockerd API socket; the parsed JSON body. */
export function dockerGet<T>(socket: string, p: string, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path: p, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`docker GET ${p}: ${res.statusCode} ${body.trim()}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`docker GET ${p}: timed out`)));
    req.on('error', reject);
  });
}

export async function startDockerd(n: LabNode): Promise<void> {
  const d = n.docker;
  for (const s of [d.socket, n.docker.shimSocket]) if (s.length > 100) throw new Error(`socket path too long for a unix socket: ${s}`);
  mkdirSync(d.dataRoot, { recursive: true });
  mkdirSync(d.execRoot, { recursive: true });
  run('bash', [path.join(scriptsDir, 'node/dockerd-config.sh'), '--out', d.config, '--registry', REGISTRY,
    '--cgroup-parent', `${n.cgroupRoot}/docker`, '--key-path', path.join(d.dir, 'key.json')]);
  const holder = readPid(`holder-${n.name}`);
  // The holder's /run/containerd is the node's own (holder.sh): no host containerd socket
  // there, so dockerd starts its own containerd under --exec-root.
  startDaemon(`dockerd-${n.name}`, 'nsenter', ['-t', String(holder), '-m', '-n', `--wd=${checkout}`, 'dockerd',
    '--config-file', d.config,
    '--data-root', d.dataRoot,
    '--exec-root', d.execRoot,
    '-H', `unix://${d.socket}`,
    '--pidfile', d.pidfile,
    '--bridge=none', '--iptables=false', '--ip-masq=false']);
  await waitFor(`dockerd of ${n.name} to answer (log .lab/logs/dockerd-${n.name}.log)`, async () => {
    assertRunning(`dockerd-${n.name}`);
    return (await dockerGet<{ Version?: string }>(d.socket, '/version', 1000)).Version;
  }, 30_000, 50);
}

export async function startDockershim(n: LabNode): Promise<void> {
  const holder = readPid(`holder-${n.name}`);
  startDaemon(`dockershim-${n.name}`, 'nsenter', ['-t', String(holder), '-m', '-n', `--wd=${checkout}`, process.execPath, tskubeJs, 'dockershim',
    '--docker-endpoint', `unix://${n.docker.socket}`,
    '--listen', `unix://${n.docker.shimSocket}`,
    '--cni-conf-dir', n.cniConfDir,
    '--cni-bin-dir', '/usr/lib/cni',
    '--cgroup-root', n.cgroupRoot,
    '--root-dir', path.join(n.docker.dir, 'shim')]);
  await waitFor(`dockershim of ${n.name} to answer CRI Version (log .lab/logs/dockershim-${n.name}.log)`, async () => {
    assertRunning(`dockershim-${n.name}`);
    (await connectCri(`unix://${n.docker.shimSocket}`, { waitMs: 1000 })).close();
    return true;
  }, 30_000, 100);
}
