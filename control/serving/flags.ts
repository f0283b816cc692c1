// Upstream's secure-serving flags, shared by `tskube scheduler` and `tskube controller-manager`:
// --tls-cert-file, --tls-private-key-file, --client-ca-file, --authentication-kubeconfig,
// --authorization-kubeconfig, --authorization-always-allow-paths. Serving is HTTPS whenever the
// component talks to a secure API server or is given a certificate; plain HTTP otherwise.
import { readFileSync } from 'node:fs';
import { ApiClient } from '../client/api-client.js';
import { DEFAULT_ALWAYS_ALLOW_PATHS, type SecureServingOptions } from './secure-serving.js';

export const servingFlags = {
  'tls-cert-file': { type: 'string' },
  'tls-private-key-file': { type: 'string' },
  'client-ca-file': { type: 'string' },
  'authentication-kubeconfig': { type: 'string' },
  'authorization-kubeconfig': { type: 'string' },
  'authorization-always-allow-paths': { type: 'string', default: DEFAULT_ALWAYS_ALLOW_PATHS.join(',') },
} as const;

type Values = { [K in keyof typeof servingFlags]?: string } & { kubeconfig?: string };

/** SecureServingOptions from the flags; `client` is the component's own (used when no delegation kubeconfig is given). */
export function servingFromFlags(v: Values, client: ApiClient, userAgent: string): SecureServingOptions | undefined {
  if (!!v['tls-cert-file'] !== !!v['tls-private-key-file']) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const secure = !!v['tls-cert-file'] || client.server.startsWith('https:');
  if (!secure) return undefined;
  // Upstream keeps TokenReview and SubjectAccessReview apart; both default to the component's kubeconfig here.
  const delegate = v['authorization-kubeconfig'] ?? v['authentication-kubeconfig'];
  return {
    ...(v['tls-cert-file'] ? { cert: readFileSync(v['tls-cert-file'], 'utf8'), key: readFileSync(v['tls-private-key-file']!, 'utf8') } : {}),
    clientCA: v['client-ca-file'] ? readFileSync(v['client-ca-file'], 'utf8') : undefined,
    client: delegate ? ApiClient.fromKubeconfig(delegate, userAgent) : client,
    alwaysAllowPaths: v['authorization-always-allow-paths']!.split(',').map((p) => p.trim()).filter(Boolean),
  };
}
