// The three PATCH forms kubectl sends: JSON merge patch (RFC 7386), JSON Patch (RFC 6902,
// via fast-json-patch) and strategic merge patch, which merges lists of named things
// (containers, env, ports, …) by their merge key instead of replacing them.
import fjp from 'fast-json-patch';
import { badRequest, unsupportedMediaType } from './status.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Merge keys for lists of objects in built-in types, by field name (as patchMergeKey tags). */
const mergeKeys: Record<string, string | ((item: Obj) => string)> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name',
  volumes: 'name', volumeMounts: 'mountPath', volumeDevices: 'devicePath', imagePullSecrets: 'name',
  conditions: 'type', ownerReferences: 'uid', hostAliases: 'ip', topologySpreadConstraints: 'topologyKey',
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
  addresses: 'type', // node taints have no merge key upstream: they are replaced
};
/** Primitive lists that merge (set union) instead of being replaced. */
const mergePrimitiveLists = new Set(['finalizers']);

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  if (patch.$patch === 'replace') { const { $patch: _, ...rest } = patch; return stripDirectives(rest); }
  if (patch.$patch === 'delete') return undefined;
  let out: Obj = isObj(target) ? { ...target } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue; // applied below, after merging
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((v as unknown[]) ?? []);
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !drop.has(x));
      continue;
    }
    if (v === null) { delete out[k]; continue; }
    if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else if (isObj(v)) {
      const merged = strategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k]; else out[k] = merged;
    } else out[k] = v;
  }
  for (const [k, order] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') && Array.isArray(order)) {
      const field = k.slice('$setElementOrder/'.length);
      if (Array.isArray(out[field])) out[field] = reorder(field, out[field] as unknown[], order);
    }
  }
  return out;
}

function keyOf(field: string, item: unknown): unknown {
  const mk = mergeKeys[field];
  if (!mk || !isObj(item)) return undefined;
  return item[typeof mk === 'function' ? mk(item) : mk];
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const cur = Array.isArray(current) ? current : [];
  if (mergePrimitiveLists.has(field)) return [...new Set([...cur, ...patch])];
  if (!mergeKeys[field] || !patch.every(isObj)) return patch.map(stripDirectives);
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObj(p) && p.$patch)).map(stripDirectives);
  const out = [...cur];
  for (const p of patch as Obj[]) {
    const key = keyOf(field, p);
    if (p.$patch === 'delete') {
      // Deletes every entry with that merge key (duplicates included), as documented upstream.
      for (let j = out.length - 1; j >= 0; j--) if (keyOf(field, out[j]) === key) out.splice(j, 1);
      continue;
    }
    const i = out.findIndex((c) => keyOf(field, c) === key);
    if (i >= 0) out[i] = strategicMergePatch(out[i], p);
    else out.push(stripDirectives(p));
  }
  return out;
}

function reorder(field: string, items: unknown[], order: unknown[]): unknown[] {
  const pos = new Map(order.map((o, i) => [isObj(o) ? keyOf(field, o) : o, i]));
  const rank = (x: unknown) => pos.get(isObj(x) ? keyOf(field, x) : x) ?? Number.MAX_SAFE_INTEGER;
  return [...items].sort((a, b) => rank(a) - rank(b));
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, stripDirectives(x)]));
}

export function applyPatch(contentType: string, current: unknown, patch: unknown): unknown {
  const type = contentType.split(';')[0].trim();
  switch (type) {
    case 'application/merge-patch+json': return mergePatch(current, patch);
    case 'application/strategic-merge-patch+json': return strategicMergePatch(current, patch);
    case 'application/json-patch+json': {
      if (!Array.isArray(patch)) throw badRequest('json patch must be an array of operations');
      try {
        return fjp.applyPatch(structuredClone(current), patch as fjp.Operation[], true, false).newDocument;
      } catch (err) {
        throw badRequest(`the server rejected our request due to an error in our request: ${(err as Error).message}`);
      }
    }
    default: throw unsupportedMediaType(contentType);
  }
}
