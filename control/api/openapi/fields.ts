// Strict field validation (fieldValidation=Strict): walks a request body against the kind's
// schema and names every field the schema does not know, in upstream's path spelling
// (spec.template.spec.containers[0].imagee), as the strict JSON decoder reports them.
import type { ResourceDef } from '../resource-def.js';
import { definitionFor, definitions, resolve, type Gvk, type Schema } from './schemas.js';

const MAX_DEPTH = 64;

/** The schema a body is checked against: its own apiVersion/kind if we know it (Eviction on
 *  pods/eviction, Binding, Scale), else the resource's kind. */
export function bodySchema(def: Pick<ResourceDef, 'group' | 'version' | 'kind'>, obj: unknown): Schema | undefined {
  const o = obj as { apiVersion?: unknown; kind?: unknown } | null;
  if (o && typeof o.apiVersion === 'string' && typeof o.kind === 'string') {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/', 2) : ['', o.apiVersion];
    const name = definitionFor({ group, version, kind: o.kind } as Gvk);
    if (name) return definitions()[name];
  }
  const name = definitionFor({ group: def.group, version: def.version, kind: def.kind });
  return name ? definitions()[name] : undefined;
}

/** Dotted paths of the fields in obj that schema does not declare. */
export function unknownFieldsIn(schema: Schema | undefined, obj: unknown): string[] {
  const out: string[] = [];
  walk(schema, obj, '', out, 0);
  return out;
}

function walk(s: Schema | undefined, v: unknown, path: string, out: string[], depth: number): void {
  const schema = resolve(s);
  if (!schema || v === null || v === undefined || depth > MAX_DEPTH) return;
  if (schema['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(v)) {
    if (schema.type === 'array') v.forEach((item, i) => walk(schema.items, item, `${path}[${i}]`, out, depth + 1));
    return;
  }
  if (typeof v !== 'object' || schema.type !== 'object') return;
  const props = schema.properties as Record<string, Schema> | undefined;
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (props) {
      if (!(k in props)) out.push(p);
      else if (!ignored(p)) walk(props[k], child, p, out, depth + 1);
    } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      walk(schema.additionalProperties, child, p, out, depth + 1);
    }
  }
}

/** Fields whose content the server does not decode strictly (managed fields are FieldsV1). */
const ignored = (path: string) => path === 'metadata.managedFields';
