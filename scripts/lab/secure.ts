// The lab's security (issue 7): a cluster PKI in .lab/pki made at `lab up` (the CA, the API
// server's certificate for 192.168.56.10 and 10.96.0.1, one certificate and kubeconfig per
// component and node), and the flags that turn on HTTPS, RBAC + Node authorization,
// encryption of secrets at rest and the audit log. The admin kubeconfig is .lab/kubeconfig.
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { initPki, pkiFiles, type PkiFiles } from '../../control/pki/layout.js';
import { API_URL, kubeconfigFile, LAB_SECURE, labDir, MASTER_IP, type LabNode } from './config.js';

export const pkiDir = path.join(labDir, 'pki');

export const labIsSecure = (): boolean => LAB_SECURE;

let made: { key: string; pki: Promise<PkiFiles> } | undefined;

/** Made once per `lab up` (etcd may need it before the control plane); again for other nodes or once removed. */
export function makePki(nodes: LabNode[]): Promise<PkiFiles> {
  const key = nodes.map((n) => `${n.name}=${n.ip}`).join(',');
  if (!made || made.key !== key || !existsSync(pkiFiles(pkiDir).ca)) {
    made = { key, pki: initPki({ dir: pkiDir, server: API_URL, masterIps: [MASTER_IP], nodes: nodes.map((n) => ({ name: n.name, ip: n.ip })) }).then((pki) => {
      copyFileSync(pki.kubeconfig('admin'), kubeconfigFile);
      return pki;
    }) };
  }
  return made.pki;
}

/** `tskube server` flags, upstream's names (see docs/security.md). */
export function serverSecurityArgs(pki: PkiFiles): string[] {
  return [
    '--tls-cert-file', pki.apiserverCert, '--tls-private-key-file', pki.apiserverKey, '--client-ca-file', pki.ca,
    '--service-account-signing-key-file', pki.saKey, '--service-account-key-file', pki.saPub,
    '--authorization-mode', 'Node,RBAC', '--anonymous-auth', 'false',
    '--encryption-provider-config', pki.encryptionConfig, '--audit-log-path', path.join(labDir, 'logs/audit.log'),
    '--kubelet-client-certificate', pki.kubeletClientCert, '--kubelet-client-key', pki.kubeletClientKey,
    '--kubelet-certificate-authority', pki.ca, '--component-cert-dir', pki.dir,
    '--enable-admission-plugins', 'NodeRestriction',
    // Used only with --storage etcd: etcd's CA and the API server's etcd client certificate.
    '--etcd-cafile', pki.etcdCa, '--etcd-certfile', pki.apiserverEtcdClientCert, '--etcd-keyfile', pki.apiserverEtcdClientKey,
  ];
}

/** `tskube agent` flags: the node's kubeconfig (its identity system:node:<name>) and :10250 on HTTPS. */
export function agentSecurityArgs(pki: PkiFiles, n: LabNode): string[] {
  return [
    '--kubeconfig', pki.kubeconfig(`kubelet-${n.name}`), '--proxy-kubeconfig', pki.kubeconfig('kube-proxy'),
    '--tls-cert-file', pki.kubeletCert(n.name), '--tls-private-key-file', pki.kubeletKey(n.name), '--client-ca-file', pki.ca,
  ];
}
