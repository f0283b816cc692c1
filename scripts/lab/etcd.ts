// `lab up --storage etcd`: a one-member etcd (Debian's etcd-server) in the master's netns on
// 192.168.56.10:2379, so the API server stores /registry/… in etcd and `etcdctl` shows it.
// In the secure lab etcd serves HTTPS with the lab PKI's etcd CA and requires client
// certificates of it (the API server's apiserver-etcd-client); etcdctl needs
// --cacert .lab/pki/etcd/ca.crt --cert .lab/pki/apiserver-etcd-client.crt --key …-client.key.
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { labDir, MASTER_IP, type LabNode } from './config.js';
import { assertRunning, startDaemon } from './procs.js';
import { httpGet, waitFor } from './wait.js';
import { labIsSecure, makePki } from './secure.js';
import type { PkiFiles } from '../../control/pki/layout.js';

export const ETCD_ENDPOINT = `${MASTER_IP}:2379`;
export const ETCD_URL = `http://${ETCD_ENDPOINT}`;

/** etcdctl's TLS flags for the lab's etcd (none when the lab is insecure). */
export function etcdctlTlsArgs(pki: PkiFiles | undefined): string[] {
  return pki ? ['--cacert', pki.etcdCa, '--cert', pki.apiserverEtcdClientCert, '--key', pki.apiserverEtcdClientKey] : [];
}

/** GET /health over HTTPS with a client certificate; undefined unless 2xx. */
function httpsGet(url: string, pki: PkiFiles): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { ca: readFileSync(pki.etcdCa), cert: readFileSync(pki.apiserverEtcdClientCert), key: readFileSync(pki.apiserverEtcdClientKey), timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(res.statusCode && res.statusCode < 300 ? body : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts etcd and returns the API server's --storage URL (TLS comes with the server's --etcd-* flags). */
export async function startEtcd(nodes: LabNode[]): Promise<string> {
  const master = nodes[0]!;
  const pki = labIsSecure() ? await makePki(nodes) : undefined;
  const url = `${pki ? 'https' : 'http'}://${ETCD_ENDPOINT}`;
  const dir = path.join(labDir, 'master/etcd');
  mkdirSync(dir, { recursive: true });
  const tls = pki ? ['--cert-file', pki.etcdServerCert, '--key-file', pki.etcdServerKey, '--client-cert-auth', '--trusted-ca-file', pki.etcdCa] : [];
  startDaemon('etcd', 'nsenter', [`--net=/run/netns/${master.ns}`, 'etcd', '--name', 'master', '--data-dir', dir,
    '--listen-client-urls', url, '--advertise-client-urls', url, ...tls,
    '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
    '--initial-cluster', 'master=http://127.0.0.1:2380', '--logger', 'zap', '--log-level', 'warn']);
  await waitFor(`etcd at ${url}/health (log .lab/logs/etcd.log)`, () => { assertRunning('etcd'); return pki ? httpsGet(`${url}/health`, pki) : httpGet(`${url}/health`); }, 20_000, 100);
  return `etcd://${ETCD_ENDPOINT}`;
}
