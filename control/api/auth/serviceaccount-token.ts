// Service-account tokens: JWTs signed with --service-account-signing-key-file (ES256 for EC
// keys, RS256 for RSA), verified with --service-account-key-file. Bound tokens carry upstream's
// `kubernetes.io` claim (namespace, service account, optional pod) and die with what they are
// bound to: the service account and pod must still exist with the same uid.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Store } from '../storage.js';
import type { AuthnResult, TokenAuthenticator, UserInfo } from './types.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export interface BoundRef { kind: 'Pod' | 'Secret' | 'Node'; name: string; uid: string }
export interface TokenClaims {
  iss: string; sub: string; aud: string[]; exp: number; iat: number; nbf: number; jti?: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
}

function algOf(k: KeyObject): { alg: string; hash: string; dsa?: 'ieee-p1363' } {
  if (k.asymmetricKeyType === 'ec') return { alg: 'ES256', hash: 'sha256', dsa: 'ieee-p1363' };
  if (k.asymmetricKeyType === 'rsa') return { alg: 'RS256', hash: 'sha256' };
  throw new Error(`service-account key: unsupported key type ${k.asymmetricKeyType} (want EC P-256 or RSA)`);
}

/** kid as upstream: base64url(sha256(DER public key)). */
const keyId = (pub: KeyObject) => b64u(createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest());

export class TokenSigner {
  private readonly key: KeyObject;
  private readonly kid: string;

  constructor(privatePem: string, readonly issuer = DEFAULT_ISSUER) {
    this.key = createPrivateKey(privatePem);
    algOf(this.key);
    this.kid = keyId(createPublicKey(this.key));
  }

  static fromFile(file: string, issuer?: string): TokenSigner {
    return new TokenSigner(readFileSync(file, 'utf8'), issuer);
  }

  sign(claims: Omit<TokenClaims, 'iss'>): string {
    const { alg, hash, dsa } = algOf(this.key);
    const body = `${b64u(JSON.stringify({ alg, kid: this.kid }))}.${b64u(JSON.stringify({ ...claims, iss: this.issuer }))}`;
    const sig = sign(hash, Buffer.from(body), dsa ? { key: this.key, dsaEncoding: dsa } : this.key);
    return `${body}.${b64u(sig)}`;
  }

  /** A token for ns/sa, optionally bound to an object, valid for `seconds`. */
  issue(o: { namespace: string; sa: { name: string; uid: string }; audiences: string[]; seconds: number; bound?: BoundRef; now?: number }): { token: string; exp: number } {
    const now = Math.floor((o.now ?? Date.now()) / 1000);
    const exp = now + o.seconds;
    const k8s: TokenClaims['kubernetes.io'] = { namespace: o.namespace, serviceaccount: o.sa };
    if (o.bound) k8s[o.bound.kind.toLowerCase() as 'pod'] = { name: o.bound.name, uid: o.bound.uid };
    const token = this.sign({ sub: `system:serviceaccount:${o.namespace}:${o.sa.name}`, aud: o.audiences, exp, iat: now, nbf: now, 'kubernetes.io': k8s });
    return { token, exp };
  }
}

const looksLikeJwt = (t: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(t);

export class ServiceAccountAuthenticator implements TokenAuthenticator {
  readonly name = 'service-account';

  constructor(private readonly keys: KeyObject[], private readonly issuer: string, private readonly audiences: string[], private readonly store?: Store) {}

  static fromFiles(files: string[], issuer: string, audiences: string[], store?: Store): ServiceAccountAuthenticator {
    const keys = files.map((f) => {
      const pem = readFileSync(f, 'utf8');
      try { return createPublicKey(pem); } catch (err) { throw new Error(`--service-account-key-file ${f}: ${(err as Error).message}`); }
    });
    return new ServiceAccountAuthenticator(keys, issuer, audiences, store);
  }

  /** undefined: not our token (another authenticator may know it); error: ours but invalid. */
  async authenticateToken(token: string, audiences = this.audiences): Promise<AuthnResult> {
    if (!looksLikeJwt(token)) return undefined;
    const [h, p, s] = token.split('.') as [string, string, string];
    let header: { alg?: string }, claims: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch { return { error: 'invalid bearer token: malformed JWT' }; }
    if (!claims || typeof claims !== 'object' || claims.iss !== this.issuer) return undefined; // someone else's JWT
    const signed = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, 'base64url');
    const ok = this.keys.some((k) => {
      try {
        const { alg, hash, dsa } = algOf(k);
        return header.alg === alg && verify(hash, signed, dsa ? { key: k, dsaEncoding: dsa } : k, sig);
      } catch { return false; }
    });
    if (!ok) return { error: 'invalid bearer token: token signature is invalid' };
    const now = Math.floor(Date.now() / 1000);
    const leeway = 60;
    if (typeof claims.exp !== 'number' || claims.exp + leeway < now) return { error: 'invalid bearer token: token has expired' };
    if (typeof claims.nbf === 'number' && claims.nbf - leeway > now) return { error: 'invalid bearer token: token not yet valid' };
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => audiences.includes(a))) return { error: 'invalid bearer token: token audiences do not match' };
    const k = claims['kubernetes.io'];
    if (!k?.namespace || !k.serviceaccount?.name) return { error: 'invalid bearer token: missing kubernetes.io claims' };
    const stale = await this.checkBound(k);
    if (stale) return { error: `invalid bearer token: ${stale}` };
    const user: UserInfo = {
      username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
      uid: k.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`],
    };
    if (k.pod) user.extra = { 'authentication.kubernetes.io/pod-name': [k.pod.name], 'authentication.kubernetes.io/pod-uid': [k.pod.uid] };
    if (k.node) user.extra = { ...user.extra, 'authentication.kubernetes.io/node-name': [k.node.name], 'authentication.kubernetes.io/node-uid': [k.node.uid] };
    return { user, via: this.name };
  }

  /** The service account (and the bound pod or secret) must still be there, same uid. */
  private async checkBound(k: TokenClaims['kubernetes.io']): Promise<string | undefined> {
    if (!this.store) return undefined;
    const check = async (resource: string, ref: { name: string; uid: string } | undefined, what: string) => {
      if (!ref) return undefined;
      const o = await this.store!.get({ resource, namespaced: true }, k.namespace, ref.name);
      if (!o) return `${what} ${k.namespace}/${ref.name} has been deleted`;
      if (ref.uid && o.metadata?.uid !== ref.uid) return `${what} UID (${o.metadata?.uid}) does not match claim (${ref.uid})`;
      if (o.metadata?.deletionTimestamp && Date.parse(o.metadata.deletionTimestamp) < Date.now()) return `${what} ${k.namespace}/${ref.name} is being deleted`;
      return undefined;
    };
    return (await check('serviceaccounts', k.serviceaccount, 'service account')) ?? (await check('pods', k.pod, 'pod')) ?? (await check('secrets', k.secret, 'secret'));
  }
}
