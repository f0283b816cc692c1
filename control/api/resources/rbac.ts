// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding. Validation
// refuses what would silently grant nothing or something else: unknown verbs, rules without
// verbs or targets, roleRefs of the wrong kind, subjects of unknown kinds; roleRef is immutable.
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta } from '../validation.js';
import { fieldInvalid, fieldRequired, fieldForbidden } from '../status.js';
import { age, ageCol, col } from '../table.js';
import { KNOWN_VERBS } from '../auth/rbac-rules.js';

const GROUP = 'rbac.authorization.k8s.io';

/** RBAC names are path segments (system:… names are fine), upstream's ValidatePathSegmentName. */
function validateMeta(meta: Obj | undefined): StatusCause[] {
  const name = meta?.name;
  const causes = validateObjectMeta({ ...meta, name: 'x' }, false);
  if (typeof name !== 'string' || !name) causes.push(fieldRequired('metadata.name'));
  else if (name === '.' || name === '..' || /[/%]/.test(name)) causes.push(fieldInvalid('metadata.name', name, `may not be '.' or '..' and may not contain '/' or '%'`));
  return causes;
}
const unsupported = (field: string, value: unknown, allowed: string[]): StatusCause =>
  ({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((v) => `"${v}"`).join(', ')}` });

function validateRules(rules: unknown, namespaced: boolean): StatusCause[] {
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) return [fieldInvalid('rules', rules, 'must be a list of PolicyRules')];
  const causes: StatusCause[] = [];
  rules.forEach((r: Obj, i) => {
    const f = `rules[${i}]`;
    if (!r || typeof r !== 'object') { causes.push(fieldInvalid(f, r, 'must be a PolicyRule')); return; }
    for (const k of ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs']) {
      if (r[k] !== undefined && !(Array.isArray(r[k]) && r[k].every((x: unknown) => typeof x === 'string'))) causes.push(fieldInvalid(`${f}.${k}`, r[k], 'must be a list of strings'));
    }
    if (!Array.isArray(r.verbs) || r.verbs.length === 0) causes.push(fieldRequired(`${f}.verbs`));
    else r.verbs.forEach((v: string, j: number) => { if (!KNOWN_VERBS.includes(v)) causes.push(unsupported(`${f}.verbs[${j}]`, v, KNOWN_VERBS)); });
    const hasResources = Array.isArray(r.resources) && r.resources.length > 0;
    const hasUrls = Array.isArray(r.nonResourceURLs) && r.nonResourceURLs.length > 0;
    if (hasUrls && namespaced) causes.push(fieldInvalid(`${f}.nonResourceURLs`, r.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (hasUrls && hasResources) causes.push(fieldInvalid(`${f}.nonResourceURLs`, r.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    if (!hasUrls && !hasResources) causes.push(fieldRequired(`${f}.resources`));
    if (hasResources && !(Array.isArray(r.apiGroups) && r.apiGroups.length > 0)) causes.push(fieldRequired(`${f}.apiGroups`));
  });
  return causes;
}

function validateBinding(o: Obj, old: Obj | undefined, namespaced: boolean): StatusCause[] {
  const causes = validateMeta(o.metadata);
  const ref = o.roleRef;
  if (!ref || typeof ref !== 'object') causes.push(fieldRequired('roleRef'));
  else {
    const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
    if (!kinds.includes(ref.kind)) causes.push(unsupported('roleRef.kind', ref.kind, kinds));
    if (ref.apiGroup !== GROUP) causes.push(unsupported('roleRef.apiGroup', ref.apiGroup, [GROUP]));
    if (!ref.name || typeof ref.name !== 'string') causes.push(fieldRequired('roleRef.name'));
    if (old && JSON.stringify(old.roleRef) !== JSON.stringify(ref)) causes.push(fieldInvalid('roleRef', ref, 'cannot change roleRef'));
  }
  if (o.subjects !== undefined && !Array.isArray(o.subjects)) causes.push(fieldInvalid('subjects', o.subjects, 'must be a list of subjects'));
  (Array.isArray(o.subjects) ? o.subjects : []).forEach((s: Obj, i: number) => {
    const f = `subjects[${i}]`;
    if (!s?.name) causes.push(fieldRequired(`${f}.name`));
    if (!['User', 'Group', 'ServiceAccount'].includes(s?.kind)) causes.push(unsupported(`${f}.kind`, s?.kind, ['ServiceAccount', 'User', 'Group']));
    if (s?.kind === 'ServiceAccount' && s.apiGroup) causes.push(unsupported(`${f}.apiGroup`, s.apiGroup, ['']));
    if (s?.kind === 'ServiceAccount' && !namespaced && !s.namespace) causes.push(fieldRequired(`${f}.namespace`));
    if ((s?.kind === 'User' || s?.kind === 'Group') && s.apiGroup !== GROUP) causes.push(unsupported(`${f}.apiGroup`, s.apiGroup, [GROUP]));
  });
  return causes;
}

/** kubectl create rolebinding omits apiGroup on User/Group subjects: fill it as upstream's defaults do. */
function defaultSubjects(o: Obj): void {
  for (const s of Array.isArray(o.subjects) ? o.subjects : []) {
    if (s && (s.kind === 'User' || s.kind === 'Group') && !s.apiGroup) s.apiGroup = GROUP;
  }
  if (o.roleRef && typeof o.roleRef === 'object' && !o.roleRef.apiGroup) o.roleRef.apiGroup = GROUP;
}

const created = { columns: [col('Created At')], cells: (o: Obj) => [o.metadata?.creationTimestamp] };
const bindingTable = {
  columns: [col('Role'), ageCol, col('Users', 1), col('Groups', 1), col('ServiceAccounts', 1)],
  cells: (o: Obj) => {
    const of = (k: string) => (o.subjects ?? []).filter((s: Obj) => s.kind === k);
    return [`${o.roleRef?.kind}/${o.roleRef?.name}`, age(o.metadata?.creationTimestamp), of('User').map((s: Obj) => s.name).join(', '),
      of('Group').map((s: Obj) => s.name).join(', '), of('ServiceAccount').map((s: Obj) => `${s.namespace ?? o.metadata?.namespace}/${s.name}`).join(', ')];
  },
};

const base = { group: GROUP, version: 'v1', specOf: () => undefined };

export const roles: ResourceDef = {
  ...base, resource: 'roles', kind: 'Role', singular: 'role', namespaced: true,
  validate: (o) => [...validateMeta(o.metadata), ...validateRules(o.rules, true)],
  table: created,
};

export const clusterroles: ResourceDef = {
  ...base, resource: 'clusterroles', kind: 'ClusterRole', singular: 'clusterrole', namespaced: false,
  validate: (o) => [...validateMeta(o.metadata), ...validateRules(o.rules, false),
    ...(o.aggregationRule !== undefined && !Array.isArray(o.aggregationRule?.clusterRoleSelectors) ? [fieldForbidden('aggregationRule.clusterRoleSelectors', 'must be a list of label selectors')] : [])],
  table: created,
};

export const rolebindings: ResourceDef = {
  ...base, resource: 'rolebindings', kind: 'RoleBinding', singular: 'rolebinding', namespaced: true,
  defaults: defaultSubjects,
  validate: (o, old) => validateBinding(o, old, true),
  table: bindingTable,
};

export const clusterrolebindings: ResourceDef = {
  ...base, resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', singular: 'clusterrolebinding', namespaced: false,
  defaults: defaultSubjects,
  validate: (o, old) => validateBinding(o, old, false),
  table: bindingTable,
};
