// Test helper: a real etcd (Debian's etcd-server, /usr/bin/etcd) of 1 or 3 members on free
// loopback ports in a temp dir, each member killable and restartable; cleaned up by stop().
// With `tls` (PEM file paths) clients must use HTTPS and a certificate of that CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/server.js';

export const etcdBin = process.env.ETCD ?? '/usr/bin/etcd';
export const haveEtcd = existsSync(etcdBin);

export interface Member { name: string; clientPort: number; peerPort: number; dataDir: string; proc?: ChildProcess; log: string }

export interface EtcdCluster {
  members: Member[];
  dir: string;
  /** etcd://127.0.0.1:p1,127.0.0.1:p2,… for openStore / tskube server --storage. */
  url: string;
  endpoints: string[];
  kill(i: number): Promise<void>;
  start(i: number): Promise<void>;
  stop(): Promise<void>;
}

export interface EtcdTlsFiles { ca: string; cert: string; key: string; clientCert: string; clientKey: string }

async function healthy(port: number, tls?: EtcdTlsFiles): Promise<boolean> {
  const dispatcher = tls && new Agent({ connect: { ca: readFileSync(tls.ca), cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) } });
  try {
    const res = await undiciFetch(`${tls ? 'https' : 'http'}://127.0.0.1:${port}/health`, dispatcher ? { dispatcher } : {});
    return (await res.json() as { health: string }).health === 'true';
  } catch { return false; } finally { await dispatcher?.close(); }
}

export async function startEtcd(size = 1, opts: { quiet?: boolean; tls?: EtcdTlsFiles } = {}): Promise<EtcdCluster> {
  const tls = opts.tls;
  const scheme = tls ? 'https' : 'http';
  const dir = mkdtempSync(join(tmpdir(), `tskube-etcd-${process.pid}-`));
  const members: Member[] = [];
  for (let i = 0; i < size; i++) {
    members.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, `m${i}`), log: '' });
  }
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  const launch = (m: Member) => {
    m.proc = spawn(etcdBin, [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', `${scheme}://127.0.0.1:${m.clientPort}`, '--advertise-client-urls', `${scheme}://127.0.0.1:${m.clientPort}`,
      ...(tls ? ['--cert-file', tls.cert, '--key-file', tls.key, '--client-cert-auth', '--trusted-ca-file', tls.ca] : []),
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `tskube-${process.pid}`,
      '--logger', 'zap', '--log-level', opts.quiet === false ? 'info' : 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    m.proc.stderr!.on('data', (d) => { m.log = (m.log + d).slice(-4000); });
  };
  const cluster: EtcdCluster = {
    members, dir,
    endpoints: members.map((m) => `127.0.0.1:${m.clientPort}`),
    url: `etcd://${members.map((m) => `127.0.0.1:${m.clientPort}`).join(',')}`,
    async kill(i) {
      const p = members[i].proc;
      if (p && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await new Promise((r) => p.once('exit', r));
      }
    },
    async start(i) {
      launch(members[i]);
      await waitFor(`etcd member ${i} healthy (${members[i].log.slice(-300)})`, () => healthy(members[i].clientPort, tls), 20_000);
    },
    async stop() {
      for (let i = 0; i < members.length; i++) await cluster.kill(i);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    members.forEach(launch);
    for (const m of members) await waitFor(`etcd ${m.name} healthy (${m.log.slice(-300)})`, () => healthy(m.clientPort, tls), 20_000);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
