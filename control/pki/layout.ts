// The cluster PKI on disk, laid out as Kubernetes The Hard Way does: a CA; the API server's
// serving certificate (SANs: every master address, the `kubernetes` Service IP and names);
// its client certificate for kubelets; a client certificate per component and per kubelet
// (kubelet certificates serve :10250 too, the scheduler's and controller manager's their ports); the service-account signing key; an encryption
// config for secrets at rest; a kubeconfig per identity; and, as kubeadm, a separate etcd CA
// with etcd's serving certificate and the API server's etcd client certificate (so no node or
// user certificate of the cluster CA can talk to etcd).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { createCA, issue, type CertSpec, type KeyPairPem } from './certs.js';
import { kubeconfigYaml } from './kubeconfig.js';

export interface PkiOptions {
  dir: string;
  /** https://<master>:6443, written into every kubeconfig. */
  server: string;
  masterIps: string[];
  nodes: Array<{ name: string; ip: string }>;
  serviceIp?: string;
  clusterName?: string;
  /** Keep an existing CA (and everything signed by it) instead of starting over. */
  reuse?: boolean;
}

/** Identities of the control-plane clients: file stem → CN and groups. */
export const COMPONENTS: Record<string, { cn: string; o?: string[] }> = {
  admin: { cn: 'admin', o: ['system:masters'] },
  'kube-scheduler': { cn: 'system:kube-scheduler' },
  'kube-controller-manager': { cn: 'system:kube-controller-manager' },
  'kube-proxy': { cn: 'system:kube-proxy', o: ['system:node-proxier'] },
};

export interface PkiFiles {
  dir: string;
  ca: string; caKey: string;
  apiserverCert: string; apiserverKey: string;
  kubeletClientCert: string; kubeletClientKey: string;
  saKey: string; saPub: string;
  encryptionConfig: string;
  etcdCa: string; etcdCaKey: string; etcdServerCert: string; etcdServerKey: string;
  apiserverEtcdClientCert: string; apiserverEtcdClientKey: string;
  kubeconfig(stem: string): string;
  kubeletCert(node: string): string;
  kubeletKey(node: string): string;
}

export function pkiFiles(dir: string): PkiFiles {
  const p = (f: string) => path.join(dir, f);
  return {
    dir, ca: p('ca.crt'), caKey: p('ca.key'), apiserverCert: p('apiserver.crt'), apiserverKey: p('apiserver.key'),
    kubeletClientCert: p('apiserver-kubelet-client.crt'), kubeletClientKey: p('apiserver-kubelet-client.key'),
    saKey: p('sa.key'), saPub: p('sa.pub'), encryptionConfig: p('encryption-config.yaml'),
    etcdCa: p('etcd/ca.crt'), etcdCaKey: p('etcd/ca.key'), etcdServerCert: p('etcd/server.crt'), etcdServerKey: p('etcd/server.key'),
    apiserverEtcdClientCert: p('apiserver-etcd-client.crt'), apiserverEtcdClientKey: p('apiserver-etcd-client.key'),
    kubeconfig: (stem) => p(`${stem}.kubeconfig`),
    kubeletCert: (n) => p(`kubelet-${n}.crt`), kubeletKey: (n) => p(`kubelet-${n}.key`),
  };
}

function save(file: string, content: string, secret = false): void {
  writeFileSync(file, content, { mode: secret ? 0o600 : 0o644 });
  chmodSync(file, secret ? 0o600 : 0o644);
}

async function pair(ca: KeyPairPem, certFile: string, keyFile: string, spec: CertSpec): Promise<KeyPairPem> {
  const kp = await issue(ca, spec);
  save(certFile, kp.cert);
  save(keyFile, kp.key, true);
  return kp;
}

export function encryptionConfigYaml(keyName = 'key1', secret = randomBytes(32).toString('base64')): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aesgcm:
          keys:
            - name: ${keyName}
              secret: ${secret}
      - identity: {}
`;
}

/** Generates (or, with reuse, completes) the whole PKI; returns the file layout. */
export async function initPki(o: PkiOptions): Promise<PkiFiles> {
  const f = pkiFiles(o.dir);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const cluster = o.clusterName ?? 'kubernetes';
  let ca: KeyPairPem;
  if (o.reuse && existsSync(f.ca) && existsSync(f.caKey)) ca = { cert: readFileSync(f.ca, 'utf8'), key: readFileSync(f.caKey, 'utf8') };
  else {
    ca = await createCA(cluster);
    save(f.ca, ca.cert);
    save(f.caKey, ca.key, true);
  }
  const serviceIp = o.serviceIp ?? '10.96.0.1';
  await pair(ca, f.apiserverCert, f.apiserverKey, {
    cn: 'kube-apiserver', usage: 'server',
    sans: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', '127.0.0.1', serviceIp, ...o.masterIps],
  });
  await pair(ca, f.kubeletClientCert, f.kubeletClientKey, { cn: 'kube-apiserver-kubelet-client', o: ['system:masters'], usage: 'client' });
  for (const [stem, id] of Object.entries(COMPONENTS)) {
    // The scheduler's and controller manager's certificates also serve their :10259 / :10257.
    const serves = stem === 'kube-scheduler' || stem === 'kube-controller-manager';
    const kp = await pair(ca, path.join(o.dir, `${stem}.crt`), path.join(o.dir, `${stem}.key`),
      serves ? { ...id, usage: 'both', sans: ['localhost', '127.0.0.1', ...o.masterIps] } : { ...id, usage: 'client' });
    save(f.kubeconfig(stem), kubeconfigYaml({ cluster, server: o.server, caPem: ca.cert, user: id.cn, certPem: kp.cert, keyPem: kp.key }), true);
  }
  for (const n of o.nodes) {
    const kp = await pair(ca, f.kubeletCert(n.name), f.kubeletKey(n.name), { cn: `system:node:${n.name}`, o: ['system:nodes'], usage: 'both', sans: [n.name, n.ip] });
    save(f.kubeconfig(`kubelet-${n.name}`), kubeconfigYaml({ cluster, server: o.server, caPem: ca.cert, user: `system:node:${n.name}`, certPem: kp.cert, keyPem: kp.key }), true);
  }
  mkdirSync(path.join(o.dir, 'etcd'), { recursive: true, mode: 0o700 });
  let etcdCa: KeyPairPem;
  if (o.reuse && existsSync(f.etcdCa) && existsSync(f.etcdCaKey)) etcdCa = { cert: readFileSync(f.etcdCa, 'utf8'), key: readFileSync(f.etcdCaKey, 'utf8') };
  else {
    etcdCa = await createCA('etcd-ca');
    save(f.etcdCa, etcdCa.cert);
    save(f.etcdCaKey, etcdCa.key, true);
  }
  await pair(etcdCa, f.etcdServerCert, f.etcdServerKey, { cn: 'etcd-server', usage: 'both', sans: ['localhost', '127.0.0.1', ...o.masterIps] });
  await pair(etcdCa, f.apiserverEtcdClientCert, f.apiserverEtcdClientKey, { cn: 'kube-apiserver-etcd-client', usage: 'client' });
  if (!(o.reuse && existsSync(f.saKey))) {
    const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    save(f.saKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, true);
    save(f.saPub, sa.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  }
  if (!(o.reuse && existsSync(f.encryptionConfig))) save(f.encryptionConfig, encryptionConfigYaml(), true);
  return f;
}
