// Writing kubeconfigs: one cluster (server + embedded CA), one user (embedded client
// certificate and key, or a bearer token), one context — the file `kubectl` and every tskube
// component read. Everything is embedded (*-data) so the file can be copied to another machine.
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  cluster?: string;
  server: string;
  caPem: string;
  user: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function kubeconfigYaml(s: KubeconfigSpec): string {
  const cluster = s.cluster ?? 'kubernetes';
  const user: Record<string, string> = {};
  if (s.certPem) user['client-certificate-data'] = b64(s.certPem);
  if (s.keyPem) user['client-key-data'] = b64(s.keyPem);
  if (s.token) user.token = s.token;
  const ctx = `${s.user}@${cluster}`;
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: s.server, 'certificate-authority-data': b64(s.caPem) } }],
    users: [{ name: s.user, user }],
    contexts: [{ name: ctx, context: { cluster, user: s.user } }],
    'current-context': ctx,
  });
}
