// RBAC's pure part: does a PolicyRule cover a request, and does a binding's subject name this
// user — upstream's rbac/v1 helpers (VerbMatches, ResourceMatches, "*/sub" and "res/*" forms,
// resourceNames, nonResourceURLs with a trailing "*"). Nothing here grants beyond the rule.
import type { PolicyRule, Subject } from 'kubernetes-types/rbac/v1.js';
import type { Attributes, UserInfo } from './types.js';

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

function resourceMatches(rule: PolicyRule, resource: string, sub: string | undefined): boolean {
  const combined = sub ? `${resource}/${sub}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (sub && (r === `*/${sub}` || r === `${resource}/*`)) return true;
  }
  return false;
}

function urlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) return urlMatches(rule, a.path ?? '');
  if (!has(rule.apiGroups, a.apiGroup ?? '')) return false;
  if (!resourceMatches(rule, a.resource ?? '', a.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (!!a.name && names.includes(a.name));
}

/** `bindingNamespace` fills a ServiceAccount subject's empty namespace (RoleBindings only). */
export function subjectMatches(s: Subject, user: UserInfo, bindingNamespace?: string): boolean {
  switch (s.kind) {
    case 'User': return s.name === user.username;
    case 'Group': return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return !!ns && user.username === `system:serviceaccount:${ns}:${s.name}`;
    }
    default: return false;
  }
}

/** Upstream's describeSubject, for "allowed by …" reasons. */
export function describeSubject(s: Subject, ns?: string): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount "${s.namespace || ns}/${s.name}"` : `${s.kind} "${s.name}"`;
}

/** Verbs RBAC rules may name: Kubernetes' own, plus the special ones (use, bind, escalate …). */
export const KNOWN_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'proxy', 'use', 'bind', 'escalate', 'impersonate', 'approve', 'sign', 'attest', '*'];
