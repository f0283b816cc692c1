// The API server's HTTP face on fastify: parses /api and /apis paths into a resource target,
// picks the verb, and answers JSON or Table; every error leaves as a metav1.Status. Only this
// process touches storage; everything else is a client of these routes.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import * as client from '../metrics/prom.js';
import type { Store } from './storage.js';
import type { ResourceDef } from './resource-def.js';
import { Rest, type Target } from './rest.js';
import { Admission } from './admission/index.js';
import { findResource } from './resources/index.js';
import { apiGroup, apiGroupList, apiResourceList, coreVersions, setExtraGroups, versionInfo } from './discovery.js';
import { StatusError, badRequest, internal, notFound, unsupportedMediaType } from './status.js';
import { toTable, wantsTable } from './table.js';
import { serveWatch } from './watch.js';
import { serveList } from './list-stream.js';
import { toComponentStatus, type ComponentProbe } from './resources/componentstatuses.js';
import type { ApiExtension, SubresourceHandler } from './extension.js';
import { registerOpenApi, unknownFields } from './openapi/index.js';
import { decodeProtobuf } from './protobuf/index.js';
import { logger } from '../client/log.js';
import type { ApiAuth } from './auth/index.js';

const log = logger('apiserver');
const requests = new client.Counter({ name: 'apiserver_request_total', help: 'API requests by verb, resource and code', labelNames: ['verb', 'resource', 'code'] });
const latency = new client.Histogram({ name: 'apiserver_request_duration_seconds', help: 'API request latency', labelNames: ['verb', 'resource'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] });

// Label-bound children, looked up by one string key instead of hashing labels per request.
const requestChildren = new Map<string, ReturnType<typeof requests.labels>>();
const latencyChildren = new Map<string, ReturnType<typeof latency.labels>>();
function metricsFor(verb: string, resource: string, code: number): void {
  const key = `${verb} ${resource} ${code}`;
  let c = requestChildren.get(key);
  if (!c) requestChildren.set(key, c = requests.labels({ verb, resource, code }));
  c.inc();
}
function latencyFor(verb: string, resource: string): ReturnType<typeof latency.labels> {
  const key = `${verb} ${resource}`;
  let h = latencyChildren.get(key);
  if (!h) latencyChildren.set(key, h = latency.labels({ verb, resource }));
  return h;
}

type Query = Record<string, string | undefined>;

/** /api/v1/namespaces/default/pods/web/status → { def: pods, namespace, name, sub }. */
export function parseTarget(url: string): Target | undefined {
  const segs = url.split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
  let group = '', version: string, rest: string[];
  if (segs[0] === 'api') [version, rest] = [segs[1], segs.slice(2)];
  else if (segs[0] === 'apis') [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
  else return undefined;
  if (!version || rest.length === 0) return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const def = findResource(group, version, rest[0]);
  if (!def || rest.length > 3) return undefined;
  if (!def.namespaced && namespace) return undefined;
  const [_, name, sub] = rest;
  if (sub && !(def.subresources ?? []).includes(sub as never) && sub !== 'finalize') return undefined;
  return { def, namespace, name, sub };
}

export interface ApiServerOptions {
  advertiseAddress: string;
  /** What `kubectl get componentstatuses` reports (scheduler, controller manager, store). */
  componentProbes?: ComponentProbe[];
  extensions?: ApiExtension[];
  admission?: { enable?: string[]; disable?: string[]; serviceAccountTokens?: boolean };
  /** Serve HTTPS; with `ca`, ask clients for certificates (verified by auth, not by the TLS layer). */
  https?: { key: string; cert: string; ca?: string };
  /** authn → authz → audit before every route (control/api/auth). */
  auth?: ApiAuth;
}

export function buildApiServer(store: Store, opts: ApiServerOptions): { app: FastifyInstance; rest: Rest } {
  // forceCloseConnections: open watches must not hold a shutdown up.
  const https = opts.https && { key: opts.https.key, cert: opts.https.cert, ...(opts.https.ca ? { ca: opts.https.ca, requestCert: true, rejectUnauthorized: false } : {}) };
  const app = Fastify({ logger: false, bodyLimit: 3 * 1024 * 1024, forceCloseConnections: true, ...(https ? { https } : {}) }) as unknown as FastifyInstance;
  const rest = new Rest(store, new Admission(store, { ...opts.admission, builtIn: opts.auth?.admissionChecks() }));

  // Every body is read as text, then parsed here, so a bad body becomes a Status, not a 500.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/vnd.kubernetes.protobuf', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const ctx = { store, rest };
  const extensions = opts.extensions ?? [];
  const subresourceHandlers: Record<string, SubresourceHandler> = Object.assign({}, ...extensions.map((e) => e.subresources ?? {}));
  setExtraGroups(extensions.flatMap((e) => e.groups ?? []));
  opts.auth?.install(app);
  registerOpenApi(app);
  for (const e of extensions) e.routes?.(app, ctx);

  const sendStatus = (reply: FastifyReply, err: unknown) => {
    const se = err instanceof StatusError ? err : internal((err as Error)?.message ?? String(err));
    if (!(err instanceof StatusError)) log.error({ err }, 'unexpected error');
    return reply.code(se.code).type('application/json').send(se.toStatus());
  };
  app.setErrorHandler((err, _req, reply) => sendStatus(reply, err));
  app.setNotFoundHandler((req, reply) => sendStatus(reply, new StatusError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.url.split('?')[0]})`)));

  app.get('/version', async () => versionInfo);
  app.get('/healthz', async (_r, reply) => reply.type('text/plain').send('ok'));
  app.get('/livez', async (_r, reply) => reply.type('text/plain').send('ok'));
  app.get('/readyz', async (_r, reply) => reply.type('text/plain').send('ok'));
  app.get('/metrics', async (_r, reply) => reply.type(client.register.contentType).send(await client.register.metrics()));
  app.get('/api', async () => coreVersions(opts.advertiseAddress));
  app.get('/apis', async () => apiGroupList());
  app.get('/api/:version', async (req) => apiResourceList('', (req.params as { version: string }).version) ?? Promise.reject(notFound('', '', '')));
  app.get('/apis/:group', async (req) => apiGroup((req.params as { group: string }).group) ?? Promise.reject(notFound('', '', '')));
  app.get('/apis/:group/:version', async (req) => {
    const p = req.params as { group: string; version: string };
    return apiResourceList(p.group, p.version) ?? Promise.reject(notFound('', '', ''));
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const started = process.hrtime.bigint();
    const t = parseTarget(req.url);
    if (!t) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.url.split('?')[0]})`);
    if (opts.auth?.enforcing) t.user = opts.auth.userOf(req.raw);
    const q = req.query as Query;
    const verb = req.method === 'GET' ? (q.watch === 'true' || q.watch === '1' ? 'watch' : t.name ? 'get' : 'list') : req.method.toLowerCase();
    reply.raw.on('finish', () => {
      metricsFor(verb, t.def.resource, reply.statusCode);
      if (verb !== 'watch') latencyFor(verb, t.def.resource).observe(Number(process.hrtime.bigint() - started) / 1e9);
    });
    const body = () => {
      const obj = parseBody(req.body, String(req.headers['content-type'] ?? ''));
      if (q.fieldValidation === 'Strict' && req.method !== 'PATCH') rejectUnknownFields(t.def, obj);
      return obj;
    };
    const asTable = wantsTable(req.headers.accept);
    const sub = t.sub && subresourceHandlers[`${t.def.resource}/${t.sub}`];
    if (sub) return sub(req, reply, t, ctx);
    if (t.def.readOnly) {
      if (req.method !== 'GET' || verb === 'watch') return rest.notAllowed(req.method, t);
      const probes = (opts.componentProbes ?? []).filter((p) => !t.name || p.name === t.name);
      if (t.name && probes.length === 0) throw notFound(t.def.resource, '', t.name);
      const items = await Promise.all(probes.map(async (p) => toComponentStatus(p.name, await p.check())));
      if (t.name) return asTable ? toTable(t.def, items, '') : items[0];
      return asTable ? toTable(t.def, items, '') : { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items };
    }
    switch (req.method) {
      case 'GET': {
        if (verb === 'watch') {
          reply.hijack();
          try { await serveWatch(store, t, q, asTable, reply.raw); } catch (err) { failHijacked(reply, err); }
          return;
        }
        if (t.name) {
          const obj = await rest.get(t);
          return asTable && !t.sub ? toTable(t.def, [obj], obj.metadata.resourceVersion) : obj;
        }
        if (!asTable) {
          // Streamed: a full list of many objects is never one array or one string in memory.
          reply.hijack();
          try { await serveList(store, t, q, reply.raw); } catch (err) { failHijacked(reply, err); }
          return;
        }
        const list = await rest.list(t, q);
        return toTable(t.def, list.items, list.metadata.resourceVersion);
      }
      case 'POST':
        if (t.sub === 'binding') return reply.code(201).send(await rest.bind(t, body()));
        if (t.sub === 'eviction') return reply.code(201).send(await rest.evict(t, body()));
        if (t.name) return rest.notAllowed('POST', t);
        return reply.code(201).send(await rest.create(t, body()));
      case 'PUT':
        if (!t.name) return rest.notAllowed('PUT', t);
        return rest.update(t, body());
      case 'PATCH': {
        if (!t.name) return rest.notAllowed('PATCH', t);
        // kubectl apply sends fieldValidation=Strict on its patches too: check the patched result.
        const strict = q.fieldValidation === 'Strict' && !t.sub ? (patched: object) => rejectUnknownFields(t.def, patched) : undefined;
        return rest.patch(t, String(req.headers['content-type'] ?? ''), body(), strict);
      }
      case 'DELETE': {
        const opts = { ...(req.body ? body() as object : {}) } as Record<string, unknown>;
        if (q.gracePeriodSeconds !== undefined) opts.gracePeriodSeconds = Number(q.gracePeriodSeconds);
        if (q.propagationPolicy) opts.propagationPolicy = q.propagationPolicy;
        if (!t.name) return rest.deleteCollection(t, q, opts);
        return reply.code(200).send(await rest.delete(t, opts));
      }
      default:
        return rest.notAllowed(req.method, t);
    }
  };
  for (const prefix of ['/api/*', '/apis/*']) app.all(prefix, handle);
  return { app, rest };
}

/** An error on a hijacked reply: a Status if nothing was written yet, else the stream ends. */
function failHijacked(reply: FastifyReply, err: unknown): void {
  if (reply.raw.headersSent) { reply.raw.end(); return; }
  const se = err instanceof StatusError ? err : internal(String(err));
  if (!(err instanceof StatusError)) log.error({ err }, 'unexpected error');
  reply.raw.writeHead(se.code, { 'content-type': 'application/json' }).end(JSON.stringify(se.toStatus()));
}

/** fieldValidation=Strict: unknown fields are a 400, with upstream's message. */
function rejectUnknownFields(def: ResourceDef, obj: unknown): void {
  const unknown = unknownFields(def, obj);
  if (unknown.length) {
    throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
}

function parseBody(raw: unknown, contentType: string): unknown {
  if (raw === undefined || raw === null || raw === '' || (Buffer.isBuffer(raw) && raw.length === 0)) throw badRequest('the request body is empty');
  if (Buffer.isBuffer(raw)) return decodeProtobuf(raw, contentType);
  if (contentType.includes('protobuf')) throw unsupportedMediaType(contentType);
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest(`the body of the request was not valid JSON: ${(err as Error).message}`);
  }
}
