// Impersonation (`kubectl --as`, `--as-group`, `--as-uid`), as upstream's WithImpersonation
// filter: after authentication, Impersonate-* headers ask to act as another user. Each part is
// authorized as the `impersonate` verb — users/<name> (serviceaccounts for
// system:serviceaccount:<ns>:<name>), groups/<name>, uids/<uid>, userextras/<key> — and the
// request then runs, is authorized and audited as the impersonated user.
import type { IncomingMessage } from 'node:http';
import { badRequest } from '../status.js';
import { forbiddenError, type AuthorizerChain } from './authorizer.js';
import type { Attributes, UserInfo } from './types.js';

const SA_PREFIX = 'system:serviceaccount:';

/** Every value of the Impersonate-* headers (kubectl sends one Impersonate-Group per group). */
function impersonationHeaders(req: IncomingMessage): { user?: string; uid?: string; groups: string[]; extra: Record<string, string[]> } | undefined {
  let found = false;
  const out: { user?: string; uid?: string; groups: string[]; extra: Record<string, string[]> } = { groups: [], extra: {} };
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (!name.startsWith('impersonate-')) continue;
    found = true;
    const value = req.rawHeaders[i + 1]!;
    if (name === 'impersonate-user') out.user = value;
    else if (name === 'impersonate-uid') out.uid = value;
    else if (name === 'impersonate-group') out.groups.push(value);
    else if (name.startsWith('impersonate-extra-')) {
      let key: string;
      try { key = decodeURIComponent(name.slice('impersonate-extra-'.length)); } catch { throw badRequest(`bad impersonation header ${req.rawHeaders[i]}`); }
      (out.extra[key] ??= []).push(value);
    }
  }
  return found ? out : undefined;
}

/** The user the request acts as: `user` itself without Impersonate-* headers; 403 when not allowed. */
export async function impersonatedUser(user: UserInfo, req: IncomingMessage, authz: AuthorizerChain): Promise<UserInfo> {
  const h = impersonationHeaders(req);
  if (!h) return user;
  if (!h.user) throw badRequest('requested impersonation of groups, uid or extra fields without impersonating a user');
  const check = async (a: Omit<Attributes, 'user' | 'verb' | 'resourceRequest'>) => {
    const attrs: Attributes = { user, verb: 'impersonate', resourceRequest: true, ...a };
    const d = await authz.authorize(attrs);
    if (d.decision !== 'Allow') throw forbiddenError(attrs, d.reason);
  };
  const sa = h.user.startsWith(SA_PREFIX) ? h.user.slice(SA_PREFIX.length).split(':') : undefined;
  if (sa?.length === 2) await check({ apiGroup: '', resource: 'serviceaccounts', namespace: sa[0], name: sa[1] });
  else await check({ apiGroup: '', resource: 'users', name: h.user });
  for (const g of h.groups) await check({ apiGroup: '', resource: 'groups', name: g });
  if (h.uid !== undefined) await check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: h.uid });
  for (const [key, values] of Object.entries(h.extra)) {
    for (const v of values) await check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: v });
  }
  // A service account's groups follow from its name when none are asked for.
  const groups = h.groups.length || sa?.length !== 2 ? [...h.groups] : ['system:serviceaccounts', `system:serviceaccounts:${sa[0]}`];
  const everyone = h.user === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated';
  if (!groups.includes(everyone)) groups.push(everyone);
  return { username: h.user, groups, ...(h.uid !== undefined ? { uid: h.uid } : {}), ...(Object.keys(h.extra).length ? { extra: h.extra } : {}) };
}
