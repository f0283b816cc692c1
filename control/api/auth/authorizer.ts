// The authorizer chain (--authorization-mode, e.g. Node,RBAC): the first Allow or Deny wins,
// members of system:masters are always allowed (upstream's privileged group), and a request
// nobody allows is forbidden with upstream's message.
import { StatusError, forbidden } from '../status.js';
import type { Attributes, Authorizer, Decision } from './types.js';

export class AuthorizerChain {
  constructor(readonly authorizers: Authorizer[]) {}

  async authorize(a: Attributes): Promise<Decision> {
    if (a.user.groups.includes('system:masters')) return { decision: 'Allow', reason: 'system:masters' };
    const reasons: string[] = [];
    for (const z of this.authorizers) {
      const d = await z.authorize(a);
      if (d.decision !== 'NoOpinion') return d;
      if (d.reason) reasons.push(d.reason);
    }
    return { decision: 'NoOpinion', reason: reasons.join('\n') };
  }
}

export const alwaysAllow: Authorizer = { name: 'AlwaysAllow', authorize: () => ({ decision: 'Allow', reason: '' }) };
export const alwaysDeny: Authorizer = { name: 'AlwaysDeny', authorize: () => ({ decision: 'Deny', reason: 'Everything is forbidden.' }) };

/** "User \"jane\" cannot delete resource \"pods\" in API group \"\" in the namespace \"default\"". */
export function forbiddenReason(a: Attributes): string {
  const u = JSON.stringify(a.user.username);
  if (!a.resourceRequest) return `User ${u} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const res = JSON.stringify(a.subresource ? `${a.resource}/${a.subresource}` : a.resource);
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${u} cannot ${a.verb} resource ${res} in API group ${JSON.stringify(a.apiGroup ?? '')} ${where}`;
}

/** 403 as upstream's responsewriters.Forbidden: `pods "x" is forbidden: User … [: reason]`. */
export function forbiddenError(a: Attributes, reason: string): StatusError {
  const msg = forbiddenReason(a) + (reason ? `: ${reason}` : '');
  if (!a.resourceRequest) return forbidden(`forbidden: ${msg}`);
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource!;
  return new StatusError(403, 'Forbidden', `${qualified}${a.name ? ` ${JSON.stringify(a.name)}` : ''} is forbidden: ${msg}`, { name: a.name, group: a.apiGroup, kind: a.resource });
}
