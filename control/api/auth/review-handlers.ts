// Answers of the computed resources: TokenReview (is this token valid, and whose?),
// SelfSubjectReview (`kubectl auth whoami`), SubjectAccessReview / SelfSubjectAccessReview /
// LocalSubjectAccessReview (`kubectl auth can-i`), and serviceaccounts/<name>/token
// (TokenRequest, `kubectl create token`). Registered as an ApiExtension of the API server.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiExtension } from '../extension.js';
import { reviewGroups } from '../resources/reviews.js';
import type { Obj } from '../resource-def.js';
import { StatusError, badRequest, invalid, fieldInvalid, methodNotAllowed, notFound } from '../status.js';
import { decodeProtobuf } from '../protobuf/index.js';
import type { ApiAuth } from './index.js';
import type { Attributes, UserInfo } from './types.js';

function parseBody(raw: unknown, contentType: string): Obj {
  if (raw === undefined || raw === null || raw === '' || (Buffer.isBuffer(raw) && raw.length === 0)) throw badRequest('the request body is empty');
  let obj: unknown;
  if (Buffer.isBuffer(raw)) obj = decodeProtobuf(raw, contentType);
  else {
    try { obj = JSON.parse(String(raw)); } catch (err) { throw badRequest(`the body of the request was not valid JSON: ${(err as Error).message}`); }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest('the body of the request must be a JSON object');
  return obj as Obj;
}

const toUserInfo = (u: UserInfo) => ({ username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) });

/** spec.resourceAttributes / nonResourceAttributes → authorizer attributes for `user`. */
function specAttributes(spec: Obj, user: UserInfo, kind: string): Attributes {
  const ra = spec.resourceAttributes, na = spec.nonResourceAttributes;
  if (ra && na) throw invalid(kind, 'authorization.k8s.io', '', [fieldInvalid('spec.resourceAttributes', '', 'cannot be specified in combination with nonResourceAttributes')]);
  if (na) return { user, verb: String(na.verb ?? ''), resourceRequest: false, path: String(na.path ?? '') };
  if (!ra) throw invalid(kind, 'authorization.k8s.io', '', [fieldInvalid('spec.resourceAttributes', '', 'exactly one of nonResourceAttributes or resourceAttributes must be specified')]);
  return {
    user, verb: String(ra.verb ?? ''), resourceRequest: true, namespace: ra.namespace || undefined, apiGroup: ra.group ?? '',
    apiVersion: ra.version, resource: ra.resource, subresource: ra.subresource || undefined, name: ra.name || undefined,
  };
}

export function reviewExtension(auth: ApiAuth): ApiExtension {
  const decide = async (a: Attributes) => {
    const d = await auth.authz.authorize(a);
    return { allowed: d.decision === 'Allow', ...(d.decision === 'Deny' ? { denied: true } : {}), ...(d.reason ? { reason: d.reason } : {}) };
  };
  const handlers: Record<string, (req: FastifyRequest, body: Obj, params: Record<string, string>) => Promise<Obj>> = {
    '/apis/authentication.k8s.io/v1/tokenreviews': async (_req, body) => {
      const token = body.spec?.token;
      if (typeof token !== 'string' || !token) throw invalid('TokenReview', 'authentication.k8s.io', '', [fieldInvalid('spec.token', '', 'token must be set')]);
      const audiences: string[] | undefined = Array.isArray(body.spec?.audiences) && body.spec.audiences.length ? body.spec.audiences : undefined;
      const r = await auth.authn.authenticateToken(token, audiences);
      const status = r && 'user' in r
        ? { authenticated: true, user: toUserInfo({ ...r.user, groups: [...new Set([...r.user.groups, 'system:authenticated'])] }), audiences: audiences ?? auth.audiences }
        : { authenticated: false, error: r && 'error' in r ? r.error : 'invalid bearer token', user: {} };
      return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null }, spec: { ...body.spec, token: undefined }, status };
    },
    '/apis/authentication.k8s.io/v1/selfsubjectreviews': async (req) => ({
      apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      status: { userInfo: toUserInfo(auth.userOf(req.raw)) },
    }),
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews': async (req, body) => {
      const spec = body.spec ?? {};
      return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec, status: await decide(specAttributes(spec, auth.userOf(req.raw), 'SelfSubjectAccessReview')) };
    },
    // `kubectl auth can-i --list`: the RBAC rules that apply to the caller in a namespace.
    '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews': async (req, body) => {
      const user = auth.userOf(req.raw);
      const ns = body.spec?.namespace || undefined;
      const rules = auth.rbac ? await auth.rbac.rulesFor(user, ns) : [];
      const masters = user.groups.includes('system:masters');
      const all = masters ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] : [];
      return {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: { creationTimestamp: null }, spec: body.spec ?? {},
        status: {
          resourceRules: [...all, ...rules.filter((r) => r.resources?.length).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) }))],
          nonResourceRules: [...(masters ? [{ verbs: ['*'], nonResourceURLs: ['*'] }] : []), ...rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }))],
          // Node authorizer and non-RBAC modes are not expressed as rules.
          incomplete: !auth.rbac || auth.authz.authorizers.length > 1,
        },
      };
    },
    '/apis/authorization.k8s.io/v1/subjectaccessreviews': async (_req, body) => {
      const spec = body.spec ?? {};
      if (!spec.user && !(spec.groups?.length)) throw invalid('SubjectAccessReview', 'authorization.k8s.io', '', [fieldInvalid('spec.user', '', 'at least one of user or group must be specified')]);
      const user: UserInfo = { username: spec.user ?? '', uid: spec.uid, groups: spec.groups ?? [], extra: spec.extra };
      return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: { creationTimestamp: null }, spec, status: await decide(specAttributes(spec, user, 'SubjectAccessReview')) };
    },
    '/apis/authorization.k8s.io/v1/namespaces/:namespace/localsubjectaccessreviews': async (_req, body, p) => {
      const spec = body.spec ?? {};
      if (spec.resourceAttributes?.namespace && spec.resourceAttributes.namespace !== p.namespace) {
        throw invalid('LocalSubjectAccessReview', 'authorization.k8s.io', '', [fieldInvalid('spec.resourceAttributes.namespace', spec.resourceAttributes.namespace, 'must match metadata.namespace')]);
      }
      if (spec.nonResourceAttributes) throw invalid('LocalSubjectAccessReview', 'authorization.k8s.io', '', [fieldInvalid('spec.nonResourceAttributes', '', 'disallowed on this kind of request')]);
      const user: UserInfo = { username: spec.user ?? '', uid: spec.uid, groups: spec.groups ?? [], extra: spec.extra };
      const a = specAttributes({ ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace: p.namespace } }, user, 'LocalSubjectAccessReview');
      return { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace: p.namespace, creationTimestamp: null }, spec, status: await decide(a) };
    },
  };
  return {
    groups: reviewGroups,
    routes(app, ctx) {
      for (const [path, h] of Object.entries(handlers)) {
        app.all(path, async (req: FastifyRequest, reply: FastifyReply) => {
          if (req.method !== 'POST') throw methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} ${path.split('/').pop()})`);
          return reply.code(201).send(await h(req, parseBody(req.body, String(req.headers['content-type'] ?? '')), req.params as Record<string, string>));
        });
      }
      // TokenRequest: a JWT for the service account, optionally bound to a pod (or secret).
      app.all('/api/v1/namespaces/:namespace/serviceaccounts/:name/token', async (req: FastifyRequest, reply: FastifyReply) => {
        if (req.method !== 'POST') throw methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} serviceaccounts/token)`);
        const { namespace, name } = req.params as { namespace: string; name: string };
        if (!auth.signer) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource (no --service-account-signing-key-file: tokens cannot be issued)');
        const body = parseBody(req.body, String(req.headers['content-type'] ?? ''));
        const spec = body.spec ?? {};
        const sa = await ctx.store.get({ resource: 'serviceaccounts', namespaced: true }, namespace, name);
        if (!sa) throw notFound('serviceaccounts', '', name);
        const seconds = spec.expirationSeconds ?? 3600;
        if (!Number.isInteger(seconds) || seconds < 600 || seconds > 2 ** 32) throw invalid('TokenRequest', 'authentication.k8s.io', name, [fieldInvalid('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes')]);
        let bound;
        const ref = spec.boundObjectRef;
        if (ref) {
          const kinds: Record<string, string> = { Pod: 'pods', Secret: 'secrets' };
          const resource = kinds[ref.kind];
          if (!resource) throw invalid('TokenRequest', 'authentication.k8s.io', name, [fieldInvalid('spec.boundObjectRef.kind', ref.kind, 'supported values: "Pod", "Secret"')]);
          const obj = await ctx.store.get({ resource, namespaced: true }, namespace, ref.name);
          if (!obj) throw notFound(resource, '', ref.name);
          if (ref.uid && ref.uid !== obj.metadata.uid) throw new StatusError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
          if (resource === 'pods' && (obj.spec?.serviceAccountName || 'default') !== name) throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
          bound = { kind: ref.kind, name: ref.name, uid: obj.metadata.uid };
        }
        const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : auth.audiences;
        const { token, exp } = auth.signer.issue({ namespace, sa: { name, uid: sa.metadata.uid }, audiences, seconds, bound });
        return reply.code(201).send({
          apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name, namespace, creationTimestamp: null },
          spec: { audiences, expirationSeconds: seconds, boundObjectRef: ref ?? null },
          status: { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z') },
        });
      });
    },
  };
}
