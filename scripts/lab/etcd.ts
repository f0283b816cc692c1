// `lab up --storage etcd`: a one-member etcd (Debian's etcd-server) in the master's netns on
// 192.168.56.10:2379, so the API server stores /registry/… in etcd and `etcdctl` shows it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { labDir, MASTER_IP, type LabNode } from './config.js';
import { assertRunning, startDaemon } from './procs.js';
import { httpGet, waitFor } from './wait.js';

export const ETCD_URL = `http://${MASTER_IP}:2379`;

/** Starts etcd and returns the API server's --storage URL. */
export async function startEtcd(master: LabNode): Promise<string> {
  const dir = path.join(labDir, 'master/etcd');
  mkdirSync(dir, { recursive: true });
  startDaemon('etcd', 'nsenter', [`--net=/run/netns/${master.ns}`, 'etcd', '--name', 'master', '--data-dir', dir,
    '--listen-client-urls', ETCD_URL, '--advertise-client-urls', ETCD_URL,
    '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
    '--initial-cluster', 'master=http://127.0.0.1:2380', '--logger', 'zap', '--log-level', 'warn']);
  await waitFor(`etcd at ${ETCD_URL}/health (log .lab/logs/etcd.log)`, () => { assertRunning('etcd'); return httpGet(`${ETCD_URL}/health`); }, 20_000, 100);
  return `etcd://${MASTER_IP}:2379`;
}
