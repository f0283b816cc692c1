// The small interfaces of authentication and authorization, shaped like upstream's
// user.Info, authorizer.Attributes and authorizer.Decision: an Authenticator turns a request
// into a user (or says nothing), an Authorizer turns (user, verb, resource) into a decision.
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type AuthnResult = { user: UserInfo; via: string } | { error: string } | undefined;

/** Looks at one kind of credential; undefined when that credential is absent. */
export interface Authenticator {
  name: string;
  authenticate(req: IncomingMessage): Promise<AuthnResult> | AuthnResult;
}

/** Bearer-token authenticators are also what TokenReview asks. */
export interface TokenAuthenticator {
  name: string;
  authenticateToken(token: string, audiences?: string[]): Promise<AuthnResult> | AuthnResult;
}

export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** Resource requests. */
  namespace?: string;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** Non-resource requests (/healthz, /version, /api …). */
  path?: string;
}

export type Decision = { decision: 'Allow' | 'Deny' | 'NoOpinion'; reason: string };

export interface Authorizer {
  name: string;
  authorize(a: Attributes): Promise<Decision> | Decision;
}

export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
export const noOpinion = (reason = ''): Decision => ({ decision: 'NoOpinion', reason });
export const allow = (reason = ''): Decision => ({ decision: 'Allow', reason });
