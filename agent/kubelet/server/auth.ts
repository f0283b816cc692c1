// The kubelet API's door (:10250), as upstream's kubelet does it: HTTPS with the node's serving
// certificate; callers authenticate with a client certificate signed by --client-ca-file or a
// bearer token (checked with a TokenReview); each request is authorized with a
// SubjectAccessReview on nodes/<subresource> of this node. Anonymous requests get 401.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import type { ApiClient } from '../../../control/client/api-client.js';
import { DelegatingAuth, verbForMethod, type Caller } from '../../../control/serving/delegated-auth.js';

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

export type { Caller };
export type Verdict = { ok: true; user: Caller } | { ok: false; code: 401 | 403; message: string };

let current: KubeletAuthOptions | undefined;
let delegated: DelegatingAuth | undefined;

/** Set once by the agent before the kubelet starts; without it the server stays plain HTTP and open. */
export function configureKubeletAuth(o: KubeletAuthOptions | undefined): void {
  current = o;
  delegated = o && new DelegatingAuth({ clientCerts: !!o.clientCAFile, client: o.client });
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

/** Authenticates and authorizes one request to the kubelet API. */
export async function checkKubeletRequest(req: IncomingMessage): Promise<Verdict> {
  const o = current;
  const auth = delegated;
  if (!o || !auth) return { ok: true, user: { username: 'system:anonymous', groups: ['system:unauthenticated'] } };
  let who: Caller | { error: string } | undefined;
  try { who = await auth.authenticate(req); } catch (err) { return { ok: false, code: 401, message: `Unauthorized: ${(err as Error).message}` }; }
  if (who && 'error' in who) return { ok: false, code: 401, message: 'Unauthorized' };
  if (!who) {
    if (!o.anonymous) return { ok: false, code: 401, message: 'Unauthorized' };
    who = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
  }
  const path = (req.url ?? '/').split('?')[0]!;
  const sub = subresourceFor(path);
  const verb = verbForMethod(req.method ?? 'GET');
  if (!o.client) return { ok: false, code: 403, message: 'Forbidden (no API client to authorize with)' };
  const user = who;
  let allowed: boolean;
  try {
    allowed = await auth.authorize(user, { verb, resource: 'nodes', subresource: sub, name: o.nodeName });
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
