// From an HTTP request to authorization attributes, as upstream's RequestInfoFactory does:
// /api/v1/namespaces/<ns>/<resource>/<name>/<subresource> and /apis/<group>/<version>/…;
// the verb from the method (GET → get/list/watch, DELETE on a collection → deletecollection);
// everything else is a non-resource path with the lower-cased method as verb.
import type { Attributes, UserInfo } from './types.js';

const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete', GET: 'get', HEAD: 'get' };

export function requestAttributes(user: UserInfo, method: string, url: string): Attributes {
  const [rawPath, rawQuery = ''] = url.split('?', 2) as [string, string?];
  const q = new URLSearchParams(rawQuery);
  let segs: string[];
  try { segs = rawPath.split('/').filter(Boolean).map(decodeURIComponent); } catch { segs = []; }
  const nonResource = (): Attributes => ({ user, verb: method.toLowerCase(), resourceRequest: false, path: rawPath });
  let group = '', version: string | undefined, rest: string[];
  if (segs[0] === 'api') [version, rest] = [segs[1], segs.slice(2)];
  else if (segs[0] === 'apis') [group, version, rest] = [segs[1] ?? '', segs[2], segs.slice(3)];
  else return nonResource();
  if (!version || rest.length === 0) return nonResource();
  let verb = verbs[method.toUpperCase()] ?? method.toLowerCase();
  // Legacy /watch/ prefix.
  if (rest[0] === 'watch') { verb = 'watch'; rest = rest.slice(1); }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces') {
    namespace = rest[1];
    // namespaces/<n>/status and /finalize are subresources of the namespace itself.
    if (rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) rest = rest.slice(2);
  }
  // Parts after the subresource (nodes/<n>/proxy/stats/summary) are its path, not part of it.
  const [resource, name, subresource] = rest;
  const a: Attributes = { user, verb, resourceRequest: true, namespace, apiGroup: group, apiVersion: version, resource, name, subresource: subresource || undefined };
  if (!name && (method === 'GET' || method === 'HEAD')) {
    a.verb = q.get('watch') === 'true' || q.get('watch') === '1' ? 'watch' : verb === 'watch' ? 'watch' : 'list';
    // A list or watch of one name (fieldSelector=metadata.name=x) is authorized as that name.
    const m = /(?:^|,)metadata\.name==?([^,]+)/.exec(q.get('fieldSelector') ?? '');
    if (m) a.name = m[1];
  } else if (!name && method === 'DELETE') a.verb = 'deletecollection';
  return a;
}
