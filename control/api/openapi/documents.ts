// OpenAPI v3 documents, one per served group-version, shaped as upstream's: REST paths whose
// operations carry x-kubernetes-action, x-kubernetes-group-version-kind and the
// fieldValidation parameter (kubectl's sign that the server validates fields itself), plus
// the component schemas they reference. Built once, on first request.
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../resource-def.js';
import { groupVersions } from '../resources/index.js';
import { versionInfo } from '../discovery.js';
import { closure, definitionFor, refTo, walkRefs, type Gvk, type Schema } from './schemas.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const PATCH_DEF = `${META}.Patch`;
const patchTypes = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const q = (name: string, description: string, type = 'string'): Schema => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const pathParam = (name: string, description: string): Schema => ({ name, in: 'path', required: true, description, schema: { type: 'string', uniqueItems: true } });
const writeParams = [
  q('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed'),
  q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  q('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: drops unknown fields silently. - Warn: sends a warning for each unknown field. - Strict: fails the request with a BadRequest error on any unknown or duplicate field.'),
];
const listParams = [
  q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  q('continue', 'The continue option should be set when retrieving more results from the server.'),
  q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
];

const json = (def: string) => ({ 'application/json': { schema: { $ref: refTo(def) } }, 'application/yaml': { schema: { $ref: refTo(def) } } });
const ok = (def: string, codes = ['200']) => Object.fromEntries(codes.map((c) => [c, { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', content: json(def) }]));

function op(action: string, id: string, gvk: Gvk, def: string, extra: Schema = {}): Schema {
  return {
    tags: [gvk.group ? `${gvk.group.split('.')[0]}_${gvk.version}` : `core_${gvk.version}`],
    description: `${action} ${gvk.kind}`, operationId: id,
    ...extra,
    responses: extra.responses ?? ok(def),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  };
}

const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Paths of one resource, with its subresources. */
function resourcePaths(d: ResourceDef, base: string): Record<string, Schema> {
  const gvk: Gvk = { group: d.group, version: d.version, kind: d.kind };
  const def = definitionFor(gvk);
  if (!def) return {};
  const listDef = definitionFor({ ...gvk, kind: `${d.kind}List` }) ?? def;
  const ns = d.namespaced ? 'Namespaced' : '';
  const collection = d.namespaced ? `${base}/namespaces/{namespace}/${d.resource}` : `${base}/${d.resource}`;
  const nsParams = d.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const nameParams = [pathParam('name', `name of the ${d.kind}`), ...nsParams];
  const body = (ref: string) => ({ requestBody: { required: true, content: json(ref) } });
  const paths: Record<string, Schema> = {};

  paths[collection] = { parameters: nsParams, get: op('list', `list${ns}${d.kind}`, gvk, listDef, { parameters: listParams }) };
  paths[`${collection}/{name}`] = { parameters: nameParams, get: op('get', `read${ns}${d.kind}`, gvk, def) };
  if (d.namespaced) paths[`${base}/${d.resource}`] = { get: op('list', `list${d.kind}ForAllNamespaces`, gvk, listDef, { parameters: listParams }) };
  if (!d.readOnly) {
    Object.assign(paths[collection], {
      post: op('post', `create${ns}${d.kind}`, gvk, def, { parameters: writeParams, ...body(def), responses: ok(def, ['200', '201', '202']) }),
      delete: op('deletecollection', `deletecollection${ns}${d.kind}`, gvk, `${META}.Status`, { parameters: listParams }),
    });
    Object.assign(paths[`${collection}/{name}`], {
      put: op('put', `replace${ns}${d.kind}`, gvk, def, { parameters: writeParams, ...body(def), responses: ok(def, ['200', '201']) }),
      patch: patchOp(`patch${ns}${d.kind}`, gvk, def),
      delete: op('delete', `delete${ns}${d.kind}`, gvk, def, { ...body(`${META}.DeleteOptions`), responses: ok(def, ['200', '202']) }),
    });
  }
  for (const sub of d.subresources ?? []) {
    const path = `${collection}/{name}/${sub}`;
    const Sub = upper(sub);
    if (sub === 'status') {
      paths[path] = { parameters: nameParams, get: op('get', `read${ns}${d.kind}Status`, gvk, def), put: op('put', `replace${ns}${d.kind}Status`, gvk, def, { parameters: writeParams, ...body(def) }), patch: patchOp(`patch${ns}${d.kind}Status`, gvk, def) };
    } else if (sub === 'scale') {
      const sgvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
      const sdef = definitionFor(sgvk)!;
      paths[path] = { parameters: nameParams, get: op('get', `read${ns}${d.kind}Scale`, sgvk, sdef), put: op('put', `replace${ns}${d.kind}Scale`, sgvk, sdef, { parameters: writeParams, ...body(sdef) }), patch: patchOp(`patch${ns}${d.kind}Scale`, sgvk, sdef) };
    } else if (sub === 'binding' || sub === 'eviction') {
      const sgvk = sub === 'binding' ? { group: '', version: 'v1', kind: 'Binding' } : { group: 'policy', version: 'v1', kind: 'Eviction' };
      const sdef = definitionFor(sgvk)!;
      paths[path] = { parameters: nameParams, post: op('post', `create${ns}${d.kind}${Sub}`, sgvk, sdef, { parameters: writeParams, ...body(sdef), responses: ok(sdef, ['200', '201', '202']) }) };
    } else if (sub === 'log') {
      paths[path] = { parameters: nameParams, get: { ...op('get', `read${ns}${d.kind}Log`, gvk, def), responses: { 200: { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } } } } };
    }
  }
  return paths;
}

function patchOp(id: string, gvk: Gvk, def: string): Schema {
  return op('patch', id, gvk, def, {
    parameters: [...writeParams, q('force', 'Force is going to "force" Apply requests.', 'boolean')],
    requestBody: { required: true, content: Object.fromEntries(patchTypes.map((t) => [t, { schema: { $ref: refTo(PATCH_DEF) } }])) },
    responses: ok(def, ['200', '201']),
  });
}

export interface GroupVersionDoc { key: string; doc: Schema; body: string; hash: string }

let cache: Map<string, GroupVersionDoc> | undefined;

/** Documents keyed as in the /openapi/v3 index: "api/v1", "apis/apps/v1". */
export function groupVersionDocs(): Map<string, GroupVersionDoc> {
  if (cache) return cache;
  cache = new Map();
  for (const gv of groupVersions()) {
    const key = gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
    const paths: Record<string, Schema> = {};
    for (const d of gv.resources) Object.assign(paths, resourcePaths(d, `/${key}`));
    const roots = new Set<string>([`${META}.Status`, `${META}.DeleteOptions`, `${META}.WatchEvent`, `${META}.APIResourceList`]);
    walkRefs(paths, (n) => roots.add(n));
    for (const d of gv.resources) for (const k of [d.kind, `${d.kind}List`]) {
      const n = definitionFor({ group: d.group, version: d.version, kind: k });
      if (n) roots.add(n);
    }
    const schemas: Record<string, Schema> = closure(roots);
    schemas[PATCH_DEF] = { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' };
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: versionInfo.gitVersion.replace(/-.*/, '') },
      paths: Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]])),
      components: { schemas: Object.fromEntries(Object.keys(schemas).sort().map((n) => [n, schemas[n]])) },
    };
    const body = JSON.stringify(doc);
    cache.set(key, { key, doc, body, hash: createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 128) });
  }
  return cache;
}

/** The /openapi/v3 index: where each group-version document lives, with a content hash. */
export function pathsIndex(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, d] of groupVersionDocs()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${d.hash}` };
  return { paths };
}
