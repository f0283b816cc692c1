// The kubelet API's door (:10250), as upstream's kubelet does it: HTTPS with the node's serving
// certificate; callers authenticate with a client certificate signed by --client-ca-file or a
// bearer token (checked with a TokenReview); each request is authorized with a
// SubjectAccessReview on nodes/<subresource> of this node. Anonymous requests get 401.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { ApiClient } from '../../../control/client/api-client.js';

export interface KubeletAuthOptions {
  nodeName: string;
  /** PEM files: the kubelet's serving certificate and key, and the CA that signs client certificates. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  clientCAFile?: string;
  /** The API client TokenReview and SubjectAccessReview go through (the kubelet's own credentials). */
  client?: ApiClient;
  anonymous?: boolean;
}

export interface Caller { username: string; groups: string[]; uid?: string }
export type Verdict = { ok: true; user: Caller } | { ok: false; code: 401 | 403; message: string };

let current: KubeletAuthOptions | undefined;

/** Set once by the agent before the kubelet starts; without it the server stays plain HTTP and open. */
export function configureKubeletAuth(o: KubeletAuthOptions | undefined): void {
  current = o;
  cache.clear();
}

/** https.createServer options for :10250 when TLS is configured. */
export function kubeletTlsOptions(): { cert: string; key: string; ca?: string; requestCert: boolean; rejectUnauthorized: false } | undefined {
  if (!current?.tlsCertFile || !current.tlsKeyFile) return undefined;
  const ca = current.clientCAFile ? readFileSync(current.clientCAFile, 'utf8') : undefined;
  return { cert: readFileSync(current.tlsCertFile, 'utf8'), key: readFileSync(current.tlsKeyFile, 'utf8'), ...(ca ? { ca } : {}), requestCert: !!ca, rejectUnauthorized: false };
}

/** Upstream's path → subresource mapping for nodes/<sub> checks (everything else is proxy). */
export function subresourceFor(path: string): string {
  const under = (p: string) => path === p || path.startsWith(`${p}/`);
  if (under('/stats')) return 'stats';
  if (under('/metrics')) return 'metrics';
  if (under('/logs')) return 'log';
  if (under('/checkpoint')) return 'checkpoint';
  return 'proxy';
}

const verbFor = (method: string) => ({ GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? method.toLowerCase();

// TokenReview and SubjectAccessReview answers, cached briefly as upstream's webhook caches do.
const cache = new Map<string, { until: number; value: unknown }>();
async function cached<T>(key: string, ttlMs: (v: T) => number, f: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.value as T;
  const value = await f();
  if (cache.size > 1000) cache.clear();
  cache.set(key, { until: Date.now() + ttlMs(value), value });
  return value;
}

async function authenticate(req: IncomingMessage, o: KubeletAuthOptions): Promise<Caller | { error: string } | undefined> {
  const sock = req.socket as TLSSocket;
  if (o.clientCAFile && sock.encrypted) {
    const cert = sock.getPeerCertificate();
    if (cert && Object.keys(cert).length) {
      if (!sock.authorized) return { error: `client certificate rejected: ${String(sock.authorizationError)}` };
      const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
      const cn = list(cert.subject?.CN)[0];
      return cn ? { username: cn, groups: [...list(cert.subject?.O), 'system:authenticated'] } : { error: 'client certificate without a common name' };
    }
  }
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (m && o.client) {
    const token = m[1]!;
    type Review = { authenticated: boolean; user?: Caller; error?: string };
    const review = await cached<Review>(`t:${token}`, (r) => (r.authenticated ? 120_000 : 10_000), () =>
      o.client!.request<{ status?: { authenticated?: boolean; user?: Caller; error?: string } }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews',
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }).then((r) => ({ authenticated: !!r.status?.authenticated, user: r.status?.user, error: r.status?.error })));
    return review.authenticated && review.user ? review.user : { error: review.error ?? 'invalid bearer token' };
  }
  return undefined;
}

/** Authenticates and authorizes one request to the kubelet API. */
export async function checkKubeletRequest(req: IncomingMessage): Promise<Verdict> {
  const o = current;
  if (!o) return { ok: true, user: { username: 'system:anonymous', groups: ['system:unauthenticated'] } };
  let who: Caller | { error: string } | undefined;
  try { who = await authenticate(req, o); } catch (err) { return { ok: false, code: 401, message: `Unauthorized: ${(err as Error).message}` }; }
  if (who && 'error' in who) return { ok: false, code: 401, message: 'Unauthorized' };
  if (!who) {
    if (!o.anonymous) return { ok: false, code: 401, message: 'Unauthorized' };
    who = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
  }
  const path = (req.url ?? '/').split('?')[0]!;
  const sub = subresourceFor(path);
  const verb = verbFor(req.method ?? 'GET');
  if (!o.client) return { ok: false, code: 403, message: 'Forbidden (no API client to authorize with)' };
  const user = who;
  const key = `s:${user.username}:${user.groups.join(',')}:${verb}:${sub}`;
  let allowed: boolean;
  try {
    allowed = await cached(key, (a: boolean) => (a ? 300_000 : 30_000), async () => {
      const r = await o.client!.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
        spec: { user: user.username, groups: user.groups, uid: user.uid, resourceAttributes: { verb, resource: 'nodes', subresource: sub, name: o.nodeName } },
      });
      return !!r.status?.allowed;
    });
  } catch (err) { return { ok: false, code: 403, message: `Forbidden: authorization check failed: ${(err as Error).message}` }; }
  if (!allowed) return { ok: false, code: 403, message: `Forbidden (user=${user.username}, verb=${verb}, resource=nodes, subresource=${sub})` };
  return { ok: true, user };
}

/** The :10250 server: HTTPS behind checkKubeletRequest when TLS is configured, else plain HTTP. */
export function createKubeletServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const tls = kubeletTlsOptions();
  if (!tls) return createServer(handler);
  return createHttpsServer(tls, (req, res) => {
    checkKubeletRequest(req).then((v) => {
      if (v.ok) return handler(req, res);
      res.writeHead(v.code, { 'content-type': 'text/plain' }).end(v.message);
    }, (err: Error) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message); });
  }) as unknown as Server;
}

/** Wraps an 'upgrade' listener (exec, port-forward) so it runs only for an authorized caller. */
export function guardUpgrade(next: (req: IncomingMessage, sock: Socket, head: Buffer) => void): (req: IncomingMessage, sock: Socket, head: Buffer) => void {
  return (req, sock, head) => {
    if (!current) return next(req, sock, head);
    checkKubeletRequest(req).then((v) => {
      if (v.ok) return next(req, sock, head);
      sock.end(`HTTP/1.1 ${v.code} ${v.code === 401 ? 'Unauthorized' : 'Forbidden'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${v.message}`);
    }, () => sock.destroy());
  };
}
