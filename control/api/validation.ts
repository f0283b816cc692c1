// Shared validation rules: DNS-1123 names, label keys and values, as upstream apimachinery's
// validation package states them. Resource-specific rules live beside each resource.
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import { fieldInvalid, fieldRequired } from './status.js';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function validateName(name: unknown, field: string, label: boolean): StatusCause[] {
  if (typeof name !== 'string' || !name) return [fieldRequired(field)];
  if (label && (name.length > 63 || !dns1123Label.test(name))) {
    return [fieldInvalid(field, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")];
  }
  if (!label && (name.length > 253 || !dns1123Subdomain.test(name))) {
    return [fieldInvalid(field, name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")];
  }
  return [];
}

export function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [fieldInvalid(field, labels, 'must be a map of string keys to string values')];
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : '';
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if ((prefix && !dns1123Subdomain.test(prefix)) || name.length > 63 || !qualifiedName.test(name)) {
      causes.push(fieldInvalid(field, k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
    if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v)) {
      causes.push(fieldInvalid(`${field}[${k}]`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
  }
  return causes;
}

export function validateObjectMeta(meta: Record<string, any> | undefined, dnsLabel: boolean): StatusCause[] {
  const m = meta ?? {};
  return [
    ...validateName(m.name, 'metadata.name', dnsLabel),
    ...validateLabels(m.labels, 'metadata.labels'),
  ];
}

export function requireString(v: unknown, field: string): StatusCause[] {
  return typeof v === 'string' && v ? [] : [fieldRequired(field)];
}
