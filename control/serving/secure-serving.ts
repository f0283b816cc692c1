// Secure serving for a component's own endpoints (kube-scheduler :10259, kube-controller-manager
// :10257), as upstream's SecureServingOptions + delegating authn/authz: HTTPS with the given
// certificate or a self-signed one; /healthz, /readyz, /livez always allowed
// (--authorization-always-allow-paths); anything else needs a caller the API server authorizes.
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ApiClient } from '../client/api-client.js';
import { createCA, issue } from '../pki/certs.js';
import { DelegatingAuth, verbForMethod, type Caller } from './delegated-auth.js';

export const DEFAULT_ALWAYS_ALLOW_PATHS = ['/healthz', '/readyz', '/livez'];

export interface SecureServingOptions {
  /** PEM serving certificate and key (--tls-cert-file / --tls-private-key-file); absent: self-signed. */
  cert?: string;
  key?: string;
  /** PEM CA for client certificates (--client-ca-file). */
  clientCA?: string;
  /** Credentials for TokenReview and SubjectAccessReview (--authentication/authorization-kubeconfig). */
  client?: ApiClient;
  /** --authorization-always-allow-paths; a trailing "*" matches a prefix. */
  alwaysAllowPaths?: string[];
}

/** Upstream writes a self-signed pair for "localhost" into --cert-dir when no certificate is given. */
export async function selfSignedServingCert(component: string): Promise<{ cert: string; key: string }> {
  const ca = await createCA(`${component}-ca@${Math.floor(Date.now() / 1000)}`, 365);
  const leaf = await issue(ca, { cn: `${component}@${Math.floor(Date.now() / 1000)}`, usage: 'server', sans: ['localhost', '127.0.0.1'], days: 365 });
  return { cert: leaf.cert + ca.cert, key: leaf.key };
}

const matches = (paths: string[], p: string) => paths.some((a) => a === p || (a.endsWith('*') && p.startsWith(a.slice(0, -1))));

function status(res: ServerResponse, code: 401 | 403, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

/** The handler behind authentication and authorization of the request's path. */
export function guard(o: SecureServingOptions, handler: RequestListener): RequestListener {
  const allowPaths = o.alwaysAllowPaths ?? DEFAULT_ALWAYS_ALLOW_PATHS;
  const auth = new DelegatingAuth({ clientCerts: !!o.clientCA, client: o.client });
  const check = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (matches(allowPaths, path)) return true;
    const who = await auth.authenticate(req);
    if (who && 'error' in who) { status(res, 401, 'Unauthorized', 'Unauthorized'); return false; }
    const user: Caller = who ?? { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    const verb = verbForMethod(req.method ?? 'GET');
    if (await auth.authorize(user, { verb, path })) return true;
    status(res, 403, 'Forbidden', `forbidden: User ${JSON.stringify(user.username)} cannot ${verb} path ${JSON.stringify(path)}`);
    return false;
  };
  return (req, res) => {
    check(req, res).then((ok) => { if (ok) handler(req, res); }, (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`authorization check failed: ${err.message}\n`);
    });
  };
}

/** HTTPS behind guard() when `secure` is given; plain HTTP and open otherwise (an insecure cluster). */
export async function createComponentServer(component: string, secure: SecureServingOptions | undefined, handler: RequestListener): Promise<Server> {
  if (!secure) return createHttpServer(handler);
  const pair = secure.cert && secure.key ? { cert: secure.cert, key: secure.key } : await selfSignedServingCert(component);
  const tls = { ...pair, ...(secure.clientCA ? { ca: secure.clientCA, requestCert: true, rejectUnauthorized: false } : {}) };
  return createHttpsServer(tls, guard(secure, handler)) as unknown as Server;
}
