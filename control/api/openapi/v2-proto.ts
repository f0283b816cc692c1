// /openapi/v2 in protobuf (gnostic's openapi.v2.Document, proto/k8s/openapiv2/), which is
// the only encoding kubectl ≤ 1.28 reads for validation and explain: the Swagger 2.0 JSON of
// v2.ts re-shaped into gnostic's messages (named lists, oneof wrappers, vendor extensions as YAML).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { swaggerV2 } from './v2.js';
import type { Schema } from './schemas.js';

export const V2_PROTO_TYPE = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

type Msg = Record<string, unknown>;

/** x-… keys as gnostic NamedAny entries (JSON is YAML, which is what kubectl parses). */
const extensions = (o: Schema): Msg[] =>
  Object.entries(o).filter(([k]) => k.startsWith('x-')).map(([name, v]) => ({ name, value: { yaml: JSON.stringify(v) } }));

function schema(s: Schema): Msg {
  const m: Msg = {};
  if (s.$ref) m._ref = s.$ref;
  for (const k of ['format', 'title', 'description'] as const) if (typeof s[k] === 'string') m[k] = s[k];
  if (s.type) m.type = { value: Array.isArray(s.type) ? s.type : [s.type] };
  if (Array.isArray(s.required)) m.required = s.required;
  if (s.uniqueItems) m.unique_items = true;
  if (s.items) m.items = { schema: [schema(s.items)] };
  if (Array.isArray(s.allOf)) m.all_of = s.allOf.map(schema);
  if (s.properties) m.properties = { additional_properties: Object.entries(s.properties as Record<string, Schema>).map(([name, v]) => ({ name, value: schema(v) })) };
  if (s.additionalProperties !== undefined) {
    m.additional_properties = typeof s.additionalProperties === 'boolean' ? { boolean: s.additionalProperties } : { schema: schema(s.additionalProperties) };
  }
  const ext = extensions(s);
  if (ext.length) m.vendor_extension = ext;
  return m;
}

function parameter(p: Schema): Msg {
  if (p.in === 'body') return { parameter: { body_parameter: { name: p.name, in: 'body', required: !!p.required, schema: schema(p.schema ?? {}) } } };
  const sub: Msg = { name: p.name, in: p.in, required: !!p.required, type: p.type ?? 'string', unique_items: !!p.uniqueItems };
  if (p.description) sub.description = p.description;
  const kind = p.in === 'path' ? 'path_parameter_sub_schema' : 'query_parameter_sub_schema';
  return { parameter: { non_body_parameter: { [kind]: sub } } };
}

function operation(op: Schema): Msg {
  return {
    tags: op.tags ?? [], description: op.description ?? '', operation_id: op.operationId ?? '',
    consumes: op.consumes ?? [], produces: op.produces ?? [], schemes: op.schemes ?? [],
    parameters: ((op.parameters ?? []) as Schema[]).map(parameter),
    responses: {
      response_code: Object.entries((op.responses ?? {}) as Record<string, Schema>).map(([name, r]) => ({
        name, value: { response: { description: r.description ?? '', ...(r.schema ? { schema: { schema: schema(r.schema) } } : {}) } },
      })),
    },
    vendor_extension: extensions(op),
  };
}

function protoDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const p = join(dir, 'proto', 'k8s', 'openapiv2', 'OpenAPIv2.proto');
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) throw new Error('proto/k8s/openapiv2/OpenAPIv2.proto not found');
  }
}

let cached: Buffer | undefined;

export function swaggerV2Proto(): Buffer {
  if (cached) return cached;
  const doc = JSON.parse(swaggerV2().body) as Schema;
  const Document = new protobuf.Root().loadSync(protoDir(), { keepCase: true }).lookupType('openapi.v2.Document');
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];
  const msg = {
    swagger: doc.swagger, info: { title: doc.info.title, version: doc.info.version },
    paths: {
      path: Object.entries(doc.paths as Record<string, Schema>).map(([name, item]) => ({
        name,
        value: {
          ...Object.fromEntries(methods.filter((m) => item[m]).map((m) => [m, operation(item[m])])),
          parameters: ((item.parameters ?? []) as Schema[]).map(parameter),
        },
      })),
    },
    definitions: { additional_properties: Object.entries(doc.definitions as Record<string, Schema>).map(([name, s]) => ({ name, value: schema(s) })) },
  };
  const err = Document.verify(msg);
  if (err) throw new Error(`openapi v2 document does not fit gnostic's schema: ${err}`);
  cached = Buffer.from(Document.encode(Document.fromObject(msg)).finish());
  return cached;
}
