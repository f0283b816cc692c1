// etcd behind TLS with client-certificate auth, as the secure lab runs it: the API server
// connects with its apiserver-etcd-client certificate (--etcd-cafile/--etcd-certfile/--etcd-keyfile);
// a client without a certificate, or with one of the cluster CA (a kubelet's), is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { kubectl } from '../helpers/server.js';
import { startSecureServer, type SecureServer } from '../helpers/tls.js';
import { initPki, type PkiFiles } from '../../control/pki/layout.js';
import { haveEtcd, startEtcd, type EtcdCluster } from './etcd-cluster.js';

const skip = haveEtcd ? false : 'no etcd binary (/usr/bin/etcd)';
let etcd: EtcdCluster | undefined;
let srv: SecureServer | undefined;
let pki: PkiFiles;
let dir: string;

before(async () => {
  if (!haveEtcd) return;
  dir = mkdtempSync(join(tmpdir(), 'tskube-etcd-tls-'));
  pki = await initPki({ dir, server: 'https://127.0.0.1:6443', masterIps: ['127.0.0.1'], nodes: [{ name: 'n1', ip: '127.0.0.2' }] });
  etcd = await startEtcd(1, { tls: { ca: pki.etcdCa, cert: pki.etcdServerCert, key: pki.etcdServerKey, clientCert: pki.apiserverEtcdClientCert, clientKey: pki.apiserverEtcdClientKey } });
  srv = await startSecureServer(['--disable', 'dns,scheduler,controllers', '--storage', etcd.url,
    '--etcd-cafile', pki.etcdCa, '--etcd-certfile', pki.apiserverEtcdClientCert, '--etcd-keyfile', pki.apiserverEtcdClientKey]);
});
after(async () => {
  await srv?.stop();
  await etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const etcdClient = (creds?: { rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer }) =>
  new Etcd3({ hosts: etcd!.endpoints.map((e) => `${creds ? 'https' : 'http'}://${e}`), dialTimeout: 2000, ...(creds ? { credentials: creds } : {}) });

test('the API server stores through TLS; etcd answers only clients with a certificate of its own CA', { skip }, async () => {
  const r = await kubectl(srv!.admin, ['create', 'configmap', 'over-tls', '--from-literal=a=b']);
  assert.equal(r.code, 0, r.stderr);
  const good = etcdClient({ rootCertificate: readFileSync(pki.etcdCa), certChain: readFileSync(pki.apiserverEtcdClientCert), privateKey: readFileSync(pki.apiserverEtcdClientKey) });
  try {
    assert.equal(JSON.parse((await good.get('/registry/configmaps/default/over-tls').string())!).data.a, 'b');
  } finally { good.close(); }
  for (const [what, creds] of [
    ['no certificate', { rootCertificate: readFileSync(pki.etcdCa) }],
    ["a kubelet's certificate (cluster CA)", { rootCertificate: readFileSync(pki.etcdCa), certChain: readFileSync(pki.kubeletCert('n1')), privateKey: readFileSync(pki.kubeletKey('n1')) }],
  ] as const) {
    const bad = etcdClient(creds);
    try {
      await assert.rejects(bad.get('/registry/configmaps/default/over-tls').string(), Error, what);
    } finally { bad.close(); }
  }
  const plain = etcdClient();
  try { await assert.rejects(plain.get('/registry/configmaps/default/over-tls').string(), Error, 'plain HTTP'); } finally { plain.close(); }
});
