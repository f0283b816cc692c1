// Configuration and identity objects: ConfigMaps, Secrets (stringData folded into base64
// data on write, as upstream), ServiceAccounts, and the policy objects ResourceQuota and
// LimitRange that admission enforces.
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta } from '../validation.js';
import { fieldInvalid } from '../status.js';
import { age, ageCol, col } from '../table.js';

const configKey = /^[-._a-zA-Z0-9]+$/;

function validateKeys(data: unknown, field: string) {
  if (data === undefined || data === null) return [];
  if (typeof data !== 'object' || Array.isArray(data)) return [fieldInvalid(field, data, 'must be a map of keys to strings')];
  return Object.entries(data as Obj).flatMap(([k, v]) => [
    ...(configKey.test(k) && k.length <= 253 ? [] : [fieldInvalid(`${field}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'")]),
    ...(typeof v === 'string' ? [] : [fieldInvalid(`${field}[${k}]`, v, 'must be a string')]),
  ]);
}

export const configmaps: ResourceDef = {
  group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true,
  shortNames: ['cm'],
  validate: (o) => [...validateObjectMeta(o.metadata, false), ...validateKeys(o.data, 'data'), ...validateKeys(o.binaryData, 'binaryData')],
  table: { columns: [col('Data', 0, 'integer'), ageCol], cells: (o) => [Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata?.creationTimestamp)] },
};

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const secrets: ResourceDef = {
  group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret', namespaced: true,
  defaults(o) {
    o.type ??= 'Opaque';
    if (o.stringData && typeof o.stringData === 'object') {
      o.data = { ...o.data };
      for (const [k, v] of Object.entries(o.stringData as Obj)) o.data[k] = Buffer.from(String(v)).toString('base64');
      delete o.stringData;
    }
  },
  validate(o) {
    const causes = [...validateObjectMeta(o.metadata, false), ...validateKeys(o.data, 'data')];
    for (const [k, v] of Object.entries((o.data ?? {}) as Obj)) {
      if (typeof v === 'string' && (!base64.test(v) || v.length % 4 !== 0)) causes.push(fieldInvalid(`data[${k}]`, '<value>', 'must be base64-encoded'));
    }
    return causes;
  },
  table: { columns: [col('Type'), col('Data', 0, 'integer'), ageCol], cells: (o) => [o.type, Object.keys(o.data ?? {}).length, age(o.metadata?.creationTimestamp)] },
};

export const serviceaccounts: ResourceDef = {
  group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', singular: 'serviceaccount', namespaced: true,
  shortNames: ['sa'],
  validate: (o) => validateObjectMeta(o.metadata, false),
  table: { columns: [col('Secrets', 0, 'integer'), ageCol], cells: (o) => [(o.secrets ?? []).length, age(o.metadata?.creationTimestamp)] },
};

export const resourcequotas: ResourceDef = {
  group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', singular: 'resourcequota', namespaced: true,
  shortNames: ['quota'], statusSubresource: true, subresources: ['status'],
  validate: (o) => validateObjectMeta(o.metadata, false),
  beforeCreate(o) { o.status = { hard: o.spec?.hard ?? {}, used: {} }; },
  table: {
    columns: [ageCol, col('Request'), col('Limit')],
    cells(o) {
      const hard = o.status?.hard ?? o.spec?.hard ?? {}, used = o.status?.used ?? {};
      const fmt = (pick: (k: string) => boolean) => Object.keys(hard).filter(pick).map((k) => `${k}: ${used[k] ?? 0}/${hard[k]}`).join(', ');
      return [age(o.metadata?.creationTimestamp), fmt((k) => !k.startsWith('limits.')), fmt((k) => k.startsWith('limits.'))];
    },
  },
};

export const limitranges: ResourceDef = {
  group: '', version: 'v1', resource: 'limitranges', kind: 'LimitRange', singular: 'limitrange', namespaced: true,
  shortNames: ['limits'],
  validate: (o) => validateObjectMeta(o.metadata, false),
  table: { columns: [col('Created At')], cells: (o) => [o.metadata?.creationTimestamp] },
};
