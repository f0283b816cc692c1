// The API server's security chain, assembled from flags: authentication (client certificates,
// static tokens, service-account JWTs, the loopback token, anonymous) → impersonation → authorization (the
// --authorization-mode chain) → audit; then the verb handlers run. installAuth() adds it to
// fastify as an onRequest hook; 401 and 403 leave as metav1.Status.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as client from '../../metrics/prom.js';
import type { Store } from '../storage.js';
import { StatusError } from '../status.js';
import { logger } from '../../client/log.js';
import { RequestAuthenticator } from './authenticator.js';
import { AuthorizerChain, alwaysAllow, alwaysDeny, forbiddenError } from './authorizer.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { TokenFileAuthenticator } from './token-file.js';
import { DEFAULT_ISSUER, ServiceAccountAuthenticator, TokenSigner } from './serviceaccount-token.js';
import { AuditLog } from './audit.js';
import { rbacEscalationCheck } from './escalation.js';
import type { AdmissionPlugin } from '../admission/plugin.js';
import { requestAttributes } from './request-info.js';
import { impersonatedUser } from './impersonation.js';
import { ANONYMOUS, type Attributes, type TokenAuthenticator, type UserInfo } from './types.js';

const log = logger('auth');
const decisions = new client.Counter({ name: 'apiserver_authorization_decisions_total', help: 'Authorization decisions', labelNames: ['decision'] });
const authnFailures = new client.Counter({ name: 'apiserver_authentication_failures_total', help: 'Requests refused as 401', labelNames: ['reason'] });

export interface AuthOptions {
  /** PEM of the CA that signs client certificates (--client-ca-file); enables x509 auth. */
  clientCA?: string;
  tokenAuthFile?: string;
  serviceAccountKeyFiles?: string[];
  serviceAccountSigningKeyFile?: string;
  serviceAccountIssuer?: string;
  apiAudiences?: string[];
  /** AlwaysAllow (default), AlwaysDeny, RBAC, Node — comma separated, in order. */
  authorizationMode?: string;
  anonymous?: boolean;
  auditLogPath?: string;
  auditPolicyFile?: string;
}

export class ApiAuth {
  readonly authn: RequestAuthenticator;
  readonly authz: AuthorizerChain;
  readonly rbac?: RbacAuthorizer;
  readonly signer?: TokenSigner;
  readonly audiences: string[];
  readonly audit?: AuditLog;
  /** The server's own clients (in-process scheduler and controllers) present this token. */
  readonly loopbackToken = randomBytes(32).toString('base64url');
  /** Anything beyond AlwaysAllow + anonymous: then the hook is installed. */
  readonly enforcing: boolean;
  private readonly users = new WeakMap<IncomingMessage, { user: UserInfo; attrs: Attributes; received: Date; decision?: string; reason?: string; response?: string | false }>();

  constructor(store: Store, o: AuthOptions = {}) {
    const issuer = o.serviceAccountIssuer ?? DEFAULT_ISSUER;
    this.audiences = o.apiAudiences?.length ? o.apiAudiences : [issuer];
    const loopback: TokenAuthenticator = {
      name: 'loopback',
      authenticateToken: (t) => (t === this.loopbackToken ? { user: { username: 'system:apiserver', uid: 'loopback', groups: ['system:masters'] }, via: 'loopback' } : undefined),
    };
    const tokens: TokenAuthenticator[] = [loopback];
    if (o.tokenAuthFile) tokens.push(TokenFileAuthenticator.fromFile(o.tokenAuthFile));
    if (o.serviceAccountSigningKeyFile) this.signer = TokenSigner.fromFile(o.serviceAccountSigningKeyFile, issuer);
    const verifyKeys = o.serviceAccountKeyFiles?.length ? o.serviceAccountKeyFiles : o.serviceAccountSigningKeyFile ? [o.serviceAccountSigningKeyFile] : [];
    if (verifyKeys.length) tokens.push(ServiceAccountAuthenticator.fromFiles(verifyKeys, issuer, this.audiences, store));
    this.authn = new RequestAuthenticator({ clientCerts: !!o.clientCA, tokens, anonymous: o.anonymous ?? true });

    const modes = (o.authorizationMode ?? 'AlwaysAllow').split(',').map((m) => m.trim()).filter(Boolean);
    this.authz = new AuthorizerChain(modes.map((m) => {
      switch (m) {
        case 'AlwaysAllow': return alwaysAllow;
        case 'AlwaysDeny': return alwaysDeny;
        case 'Node': return new NodeAuthorizer(store);
        case 'RBAC': return ((this as { rbac?: RbacAuthorizer }).rbac = new RbacAuthorizer(store));
        default: throw new Error(`--authorization-mode: unknown mode ${JSON.stringify(m)} (want AlwaysAllow, AlwaysDeny, Node, RBAC)`);
      }
    }));
    if (o.auditLogPath) this.audit = AuditLog.open(o.auditLogPath, o.auditPolicyFile);
    this.enforcing = !!o.clientCA || !!o.tokenAuthFile || verifyKeys.length > 0 || modes.join() !== 'AlwaysAllow' || o.anonymous === false || !!this.audit;
  }

  async start(): Promise<void> { await this.rbac?.start(); }

  /** Always-on admission steps that need the authorizers: RBAC escalation prevention. */
  admissionChecks(): AdmissionPlugin[] { return this.rbac ? [rbacEscalationCheck(this.rbac, this.authz)] : []; }
  stop(): void { this.rbac?.stop(); this.audit?.close(); }

  /** Who made this request (system:anonymous when the chain is not installed). */
  userOf(req: IncomingMessage): UserInfo { return this.users.get(req)?.user ?? ANONYMOUS; }

  install(app: FastifyInstance): void {
    if (!this.enforcing) return;
    app.addHook('onRequest', async (req: FastifyRequest, reply) => {
      const received = new Date();
      const who = await this.authn.authenticate(req.raw);
      if ('error' in who) {
        authnFailures.inc({ reason: who.error.split(':')[0]! });
        log.info({ url: req.url.split('?')[0], ip: req.ip, reason: who.error }, 'unauthorized request');
        throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      }
      const user = await impersonatedUser(who.user, req.raw, this.authz);
      const impersonator = user === who.user ? undefined : who.user;
      const attrs = requestAttributes(user, req.method, req.url);
      const level = this.audit?.level(attrs) ?? 'None';
      // response: false = not wanted; set by the onSend hook below at RequestResponse.
      const entry: { user: UserInfo; attrs: Attributes; received: Date; decision?: string; reason?: string; response?: string | false } =
        { user, attrs, received, response: level === 'RequestResponse' ? undefined : false };
      this.users.set(req.raw, entry);
      if (this.audit && level !== 'None') {
        const audit = this.audit;
        reply.raw.once('close', () => audit.write({
          attrs, uri: req.url, sourceIP: req.ip, userAgent: req.headers['user-agent'], code: reply.raw.statusCode,
          decision: entry.decision, reason: entry.reason, received, body: typeof req.body === 'string' ? safeJson(req.body) : undefined,
          response: typeof entry.response === 'string' ? safeJson(entry.response) : undefined, impersonator,
        }, level));
      }
      const d = await this.authz.authorize(attrs);
      entry.decision = d.decision === 'Allow' ? 'allow' : 'forbid';
      entry.reason = d.reason;
      decisions.inc({ decision: entry.decision });
      if (d.decision !== 'Allow') {
        log.debug({ user: who.user.username, verb: attrs.verb, resource: attrs.resource, path: attrs.path, reason: d.reason }, 'forbidden');
        throw forbiddenError(attrs, d.reason);
      }
    });
    // The JSON answer, for audit events at RequestResponse (watch streams and protobuf are not kept).
    if (this.audit) {
      app.addHook('onSend', async (req: FastifyRequest, _reply, payload) => {
        const entry = this.users.get(req.raw);
        if (entry && entry.response === undefined && typeof payload === 'string') entry.response = payload;
        return payload;
      });
    }
  }
}

function safeJson(s: string): unknown {
  try { return JSON.parse(s); } catch { return undefined; }
}

export { requestAttributes } from './request-info.js';
export type { UserInfo, Attributes } from './types.js';
