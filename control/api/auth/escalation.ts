// RBAC privilege-escalation prevention, as upstream's rbac registry does it: writing a Role or
// ClusterRole needs every permission it grants (or `escalate` on it); writing a binding needs
// every permission of the referenced role (or `bind` on it); system:masters may do anything.
// Refusals are 403 with upstream's "is attempting to grant RBAC permissions not currently held".
import type { PolicyRule, RoleRef } from 'kubernetes-types/rbac/v1.js';
import type { Obj } from '../resource-def.js';
import { StatusError } from '../status.js';
import type { AdmissionPlugin, AdmissionRequest } from '../admission/plugin.js';
import type { AuthorizerChain } from './authorizer.js';
import type { RbacAuthorizer } from './rbac-authorizer.js';
import type { UserInfo } from './types.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const has = (l: string[] | undefined, v: string) => !!l?.includes(v);
const hasAll = (l: string[] | undefined, vs: string[] | undefined) => (vs ?? []).every((v) => has(l, v));

/** One rule per group × resource × verb × name, and per URL × verb (upstream's BreakdownRule). */
export function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of rule.apiGroups ?? []) for (const r of rule.resources ?? []) for (const v of rule.verbs ?? []) {
    if (rule.resourceNames?.length) for (const n of rule.resourceNames) out.push({ apiGroups: [g], resources: [r], verbs: [v], resourceNames: [n] });
    else out.push({ apiGroups: [g], resources: [r], verbs: [v] });
  }
  for (const u of rule.nonResourceURLs ?? []) for (const v of rule.verbs ?? []) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

function resourcesCovered(owner: string[] | undefined, wanted: string[] | undefined): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  return (wanted ?? []).every((r) => has(owner, r) || (r.includes('/') && has(owner, `*/${r.split('/').slice(1).join('/')}`)));
}

const urlsCovered = (owner: string[] | undefined, wanted: string[] | undefined) =>
  (wanted ?? []).every((u) => (owner ?? []).some((o) => o === '*' || o === u || (o.endsWith('*') && u.startsWith(o.slice(0, -1)))));

/** Does `owner` cover `sub` (upstream's ruleCovers). */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const names = !sub.resourceNames?.length ? !owner.resourceNames?.length : !owner.resourceNames?.length || hasAll(owner.resourceNames, sub.resourceNames);
  return (has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs)) && (has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups))
    && resourcesCovered(owner.resources, sub.resources) && urlsCovered(owner.nonResourceURLs, sub.nonResourceURLs) && names;
}

/** The parts of `wanted` no owner rule covers (empty: covered). */
export function uncovered(owner: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdown).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
}

/** Single group/resource rules merged by verb (upstream's CompactRules), for the message. */
function compact(rules: PolicyRule[]): PolicyRule[] {
  const simple = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length || r.apiGroups?.length !== 1 || r.resources?.length !== 1 || (r.resourceNames?.length ?? 0) > 1) { out.push(r); continue; }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const cur = simple.get(key);
    if (!cur) simple.set(key, { ...r, verbs: [...r.verbs] });
    else for (const v of r.verbs) if (!cur.verbs.includes(v)) cur.verbs.push(v);
  }
  return [...out, ...simple.values()];
}

const q = (l: string[]) => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;

/** Upstream's CompactString: {APIGroups:[""], Resources:["secrets"], Verbs:["delete"]}. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${q(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

export function escalationMessage(user: UserInfo, missing: PolicyRule[]): string {
  const lines = [...new Set(compact(missing).map(compactString))].sort();
  return `user ${JSON.stringify(user.username)} (groups=${q(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
}

const FULL_AUTHORITY: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

/** The check, as an always-on admission step of an API server that runs the RBAC authorizer. */
export function rbacEscalationCheck(rbac: RbacAuthorizer, authz: AuthorizerChain): AdmissionPlugin {
  const forbid = (req: AdmissionRequest, msg: string) => {
    const name = req.obj.metadata?.name as string;
    return new StatusError(403, 'Forbidden', `${req.def.resource}.${RBAC_GROUP} ${JSON.stringify(name)} is forbidden: ${msg}`, { name, group: RBAC_GROUP, kind: req.def.resource });
  };
  const allowedTo = async (user: UserInfo, verb: 'escalate' | 'bind', resource: string, name: string | undefined, namespace: string | undefined) =>
    (await authz.authorize({ user, verb, resourceRequest: true, apiGroup: RBAC_GROUP, resource, name, namespace })).decision === 'Allow';
  const confirm = async (req: AdmissionRequest, rules: PolicyRule[], ns: string | undefined, prefix = '') => {
    const missing = uncovered(await rbac.rulesFor(req.user!, ns), rules);
    if (missing.length) throw forbid(req, prefix + escalationMessage(req.user!, missing));
  };
  return {
    name: 'RBACEscalation',
    async validate(req) {
      const { op, def, obj, old, user } = req;
      if (!user || op === 'DELETE' || def.group !== RBAC_GROUP || user.groups.includes('system:masters')) return;
      if (op === 'UPDATE' && old && onlyGcFieldsChanged(obj, old)) return;
      const ns = def.namespaced ? obj.metadata?.namespace : undefined;
      rbac.invalidate();
      if (def.resource === 'roles' || def.resource === 'clusterroles') {
        if (await allowedTo(user, 'escalate', def.resource, obj.metadata?.name, ns)) return;
        if (obj.aggregationRule?.clusterRoleSelectors?.length) await confirm(req, FULL_AUTHORITY, undefined, 'must have cluster-admin privileges to use an aggregationRule: ');
        await confirm(req, obj.rules ?? [], ns);
      } else if (def.resource === 'rolebindings' || def.resource === 'clusterrolebindings') {
        const ref = obj.roleRef as RoleRef;
        if (await allowedTo(user, 'bind', ref.kind === 'Role' ? 'roles' : 'clusterroles', ref.name, ns)) return;
        const rules = await rbac.roleRefRules(ref, ns);
        // A binding to a role that does not exist yet would grant whatever it later holds.
        if (!rules) throw forbid(req, `${ref.kind.toLowerCase()}.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found`);
        await confirm(req, rules, ns);
      }
    },
  };
}

/** Upstream's IsOnlyMutatingGCFields: owner references and finalizers may change freely. */
function onlyGcFieldsChanged(obj: Obj, old: Obj): boolean {
  const strip = (o: Obj) => JSON.stringify({ ...o, metadata: { ...o.metadata, ownerReferences: undefined, finalizers: undefined, resourceVersion: undefined, managedFields: undefined } });
  return strip(obj) === strip(old);
}
