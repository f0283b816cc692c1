// OpenAPI for kubectl: /openapi/v3 (index + one document per group-version) so default
// strict validation, `kubectl explain` and apply's patch computation work, /openapi/v2 (JSON,
// or gnostic protobuf for kubectl ≤ 1.28), and the unknown-field check behind fieldValidation=Strict.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceDef } from '../resource-def.js';
import { StatusError } from '../status.js';
import { groupVersionDocs, pathsIndex } from './documents.js';
import { bodySchema, unknownFieldsIn } from './fields.js';
import { swaggerV2 } from './v2.js';
import { V2_PROTO_TYPE, swaggerV2Proto } from './v2-proto.js';

export { bodySchema, unknownFieldsIn } from './fields.js';
export { definitions, definitionFor, resolve } from './schemas.js';

const notAcceptable = (accept: string) =>
  new StatusError(406, 'NotAcceptable', `only the following media types are accepted: application/json (got ${accept})`);

/** JSON unless the client accepts only other types (the proto-openapi encodings). */
function wantsJson(req: FastifyRequest): boolean {
  const accept = String(req.headers.accept ?? '');
  if (!accept) return true;
  return accept.split(',').some((t) => {
    const mt = t.split(';')[0].trim();
    return mt === 'application/json' || mt === '*/*' || mt === 'application/*';
  });
}

function sendJson(req: FastifyRequest, reply: FastifyReply, body: string | object, etag?: string) {
  if (!wantsJson(req)) throw notAcceptable(String(req.headers.accept));
  if (etag) {
    reply.header('etag', `"${etag}"`);
    if (req.headers['if-none-match'] === `"${etag}"`) return reply.code(304).send();
  }
  return reply.type('application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
}

export function registerOpenApi(app: FastifyInstance): void {
  app.get('/openapi/v3', async (req, reply) => sendJson(req, reply, pathsIndex()));
  app.get('/openapi/v3/*', async (req, reply) => {
    const key = (req.params as { '*': string })['*'].replace(/\/+$/, '');
    const d = groupVersionDocs().get(key);
    if (!d) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (GET /openapi/v3/${key})`);
    const hash = (req.query as { hash?: string }).hash;
    if (hash && hash !== d.hash) return reply.redirect(`/openapi/v3/${key}?hash=${d.hash}`, 301);
    reply.header('cache-control', hash ? 'public, immutable, max-age=31536000' : 'no-cache, private');
    return sendJson(req, reply, d.body, d.hash);
  });
  app.get('/openapi/v2', async (req, reply) => {
    if (String(req.headers.accept ?? '').includes(V2_PROTO_TYPE.split('@')[0])) {
      return reply.type(V2_PROTO_TYPE).header('etag', `"${swaggerV2().hash}"`).send(swaggerV2Proto());
    }
    const v2 = swaggerV2();
    return sendJson(req, reply, v2.body, v2.hash);
  });
}

/** Paths (e.g. "spec.replicass") of fields the schema of def (or of the body's own kind) does not know. */
export function unknownFields(def: ResourceDef, obj: unknown): string[] {
  return unknownFieldsIn(bodySchema(def, obj), obj);
}
