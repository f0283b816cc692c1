// Delegated authentication and authorization, as upstream's k8s.io/apiserver delegating
// authenticator/authorizer that the kubelet, kube-scheduler and kube-controller-manager use:
// a client certificate verified against the cluster CA, or a bearer token checked with a
// TokenReview; then a SubjectAccessReview. Answers are cached briefly, as upstream's webhooks do.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ApiClient } from '../client/api-client.js';

export interface Caller { username: string; groups: string[]; uid?: string }

/** What a SubjectAccessReview asks: a resource (resourceAttributes) or a path (nonResourceAttributes). */
export type AccessAttributes =
  | { verb: string; resource: string; subresource?: string; name?: string; namespace?: string; group?: string }
  | { verb: string; path: string };

export interface DelegationOptions {
  /** Verifying client certificates is on when the TLS server was given this CA (requestCert). */
  clientCerts: boolean;
  /** The API client TokenReview and SubjectAccessReview go through (the component's own credentials). */
  client?: ApiClient;
}

export const verbForMethod = (method: string): string =>
  ({ GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? method.toLowerCase();

export class DelegatingAuth {
  private readonly cache = new Map<string, { until: number; value: unknown }>();

  constructor(private readonly o: DelegationOptions) {}

  private async cached<T>(key: string, ttlMs: (v: T) => number, f: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value as T;
    const value = await f();
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(key, { until: Date.now() + ttlMs(value), value });
    return value;
  }

  /** The caller, an error (credentials presented but bad → 401), or undefined (none presented). */
  async authenticate(req: IncomingMessage): Promise<Caller | { error: string } | undefined> {
    const sock = req.socket as TLSSocket;
    if (this.o.clientCerts && sock.encrypted) {
      const cert = sock.getPeerCertificate();
      if (cert && Object.keys(cert).length) {
        if (!sock.authorized) return { error: `client certificate rejected: ${String(sock.authorizationError)}` };
        const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
        const cn = list(cert.subject?.CN)[0];
        return cn ? { username: cn, groups: [...list(cert.subject?.O), 'system:authenticated'] } : { error: 'client certificate without a common name' };
      }
    }
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    if (!this.o.client) return { error: 'bearer tokens cannot be checked (no API client)' };
    const token = m[1]!;
    const client = this.o.client;
    type Review = { authenticated: boolean; user?: Caller; error?: string };
    const review = await this.cached<Review>(`t:${token}`, (r) => (r.authenticated ? 120_000 : 10_000), () =>
      client.request<{ status?: { authenticated?: boolean; user?: Caller; error?: string } }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews',
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }).then((r) => ({ authenticated: !!r.status?.authenticated, user: r.status?.user, error: r.status?.error })));
    return review.authenticated && review.user ? review.user : { error: review.error ?? 'invalid bearer token' };
  }

  /** SubjectAccessReview for the caller; throws when the API server cannot be asked. */
  async authorize(user: Caller, a: AccessAttributes): Promise<boolean> {
    const client = this.o.client;
    if (!client) return false;
    const spec = { user: user.username, groups: user.groups, uid: user.uid, ...('path' in a ? { nonResourceAttributes: a } : { resourceAttributes: a }) };
    return this.cached(`s:${JSON.stringify(spec)}`, (ok: boolean) => (ok ? 300_000 : 30_000), async () => {
      const r = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
      return !!r.status?.allowed;
    });
  }
}
