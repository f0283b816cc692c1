// /openapi/v2 (Swagger 2.0, JSON only), derived from the v3 documents for clients that still
// read v2: refs move to #/definitions, allOf-wrapped refs become plain refs, oneOf
// primitives (IntOrString, Quantity) become strings, request bodies become body parameters.
import { createHash } from 'node:crypto';
import { versionInfo } from '../discovery.js';
import { groupVersionDocs } from './documents.js';
import type { Schema } from './schemas.js';

let cached: { body: string; hash: string } | undefined;

function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  const s = { ...(node as Schema) };
  if (Array.isArray(s.allOf) && s.allOf.length === 1 && s.allOf[0].$ref) { Object.assign(s, s.allOf[0]); delete s.allOf; }
  if (Array.isArray(s.oneOf)) { s.type = 'string'; delete s.oneOf; delete s['x-kubernetes-int-or-string']; }
  if (typeof s.$ref === 'string') s.$ref = s.$ref.replace('#/components/schemas/', '#/definitions/');
  for (const [k, v] of Object.entries(s)) if (k !== '$ref') s[k] = convert(v);
  return s;
}

function convertOperation(op: Schema): Schema {
  const { requestBody, responses, parameters, ...rest } = op;
  const params = ((parameters ?? []) as Schema[]).map(({ schema, ...p }) => ({ ...p, type: schema?.type ?? 'string', uniqueItems: true }));
  if (requestBody) {
    const schema = Object.values(requestBody.content as Record<string, { schema: Schema }>)[0].schema;
    params.unshift({ name: 'body', in: 'body', required: true, schema: convert(schema) } as never);
  }
  const res = Object.fromEntries(Object.entries(responses as Record<string, Schema>).map(([code, r]) => {
    const schema = r.content ? Object.values(r.content as Record<string, { schema: Schema }>)[0].schema : undefined;
    return [code, { description: r.description, ...(schema ? { schema: convert(schema) } : {}) }];
  }));
  return {
    ...rest,
    consumes: requestBody ? Object.keys(requestBody.content) : ['*/*'],
    produces: ['application/json', 'application/yaml'],
    schemes: ['https'],
    parameters: params,
    responses: res,
  };
}

export function swaggerV2(): { body: string; hash: string } {
  if (cached) return cached;
  const paths: Schema = {};
  const definitions: Schema = {};
  for (const { doc } of groupVersionDocs().values()) {
    for (const [p, item] of Object.entries(doc.paths as Record<string, Schema>)) {
      const out: Schema = {};
      for (const [k, v] of Object.entries(item)) {
        out[k] = k === 'parameters' ? (v as Schema[]).map(({ schema, ...x }) => ({ ...x, type: schema?.type ?? 'string', uniqueItems: true })) : convertOperation(v);
      }
      paths[p] = out;
    }
    Object.assign(definitions, convert(doc.components.schemas));
  }
  const doc = {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: versionInfo.gitVersion.replace(/-.*/, '') },
    paths: Object.fromEntries(Object.keys(paths).sort().map((k) => [k, paths[k]])),
    definitions: Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]])),
  };
  const body = JSON.stringify(doc);
  cached = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 128) };
  return cached;
}
