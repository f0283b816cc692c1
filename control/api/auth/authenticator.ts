// Authentication, in upstream's order: a client certificate verified against --client-ca-file
// (CN = user, each O = a group), then a bearer token (static token file, service-account
// JWTs, the server's own loopback token), else system:anonymous if allowed. A credential that
// is present but wrong is a 401, never a fall-through to anonymous.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ANONYMOUS, type AuthnResult, type TokenAuthenticator, type UserInfo } from './types.js';

export interface AuthnOptions {
  /** Verify client certificates (the TLS server was given the CA and requestCert). */
  clientCerts: boolean;
  tokens: TokenAuthenticator[];
  anonymous: boolean;
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The verified client certificate's identity, an error for an unverified one, or nothing. */
export function certificateUser(req: IncomingMessage): AuthnResult {
  const sock = req.socket as TLSSocket;
  if (!sock.encrypted || typeof sock.getPeerCertificate !== 'function') return undefined;
  const cert = sock.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (!sock.authorized) return { error: `x509: certificate rejected: ${String(sock.authorizationError ?? 'not signed by the client CA')}` };
  const cn = asList(cert.subject?.CN)[0];
  if (!cn) return { error: 'x509: subject with cn=<empty> is not allowed' };
  return { user: { username: cn, groups: asList(cert.subject?.O) }, via: 'x509' };
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : '';
}

export class RequestAuthenticator {
  constructor(private readonly o: AuthnOptions) {}

  /** A bearer token on its own (TokenReview and the kubelet's webhook use this). */
  async authenticateToken(token: string, audiences?: string[]): Promise<AuthnResult> {
    for (const t of this.o.tokens) {
      const r = await t.authenticateToken(token, audiences);
      if (r) return r;
    }
    return { error: 'invalid bearer token' };
  }

  async authenticate(req: IncomingMessage): Promise<{ user: UserInfo; via: string } | { error: string }> {
    if (this.o.clientCerts) {
      const r = certificateUser(req);
      if (r) return 'error' in r ? r : withAuthenticated(r);
    }
    const token = bearerToken(req);
    if (token !== undefined) {
      if (!token) return { error: 'the Authorization header is not a bearer token' };
      const r = await this.authenticateToken(token);
      return r && 'user' in r ? withAuthenticated(r) : r ?? { error: 'invalid bearer token' };
    }
    if (this.o.anonymous) return { user: ANONYMOUS, via: 'anonymous' };
    return { error: 'no credentials (anonymous requests are disabled)' };
  }
}

function withAuthenticated(r: { user: UserInfo; via: string }): { user: UserInfo; via: string } {
  const groups = r.user.groups.includes('system:authenticated') ? r.user.groups : [...r.user.groups, 'system:authenticated'];
  return { ...r, user: { ...r.user, groups } };
}
