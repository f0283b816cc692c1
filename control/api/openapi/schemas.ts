// The generated component schemas (schemas.json, from scripts/openapi/generate.ts), loaded
// once, with lookups by definition name and by group/version/kind and the $ref closure that
// each group-version document carries.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Schema = Record<string, any>;
export interface Gvk { group: string; version: string; kind: string }

const here = dirname(fileURLToPath(import.meta.url));
const REF = '#/components/schemas/';

let defs: Record<string, Schema> | undefined;
let byGvk: Map<string, string> | undefined;

/** All definitions, keyed by upstream name (io.k8s.api.core.v1.Pod). */
export function definitions(): Record<string, Schema> {
  if (!defs) {
    // Beside the compiled module if copied there, else in the source tree (dist/ mirrors it).
    const candidates = [join(here, 'schemas.json'), join(here, '../../../../control/api/openapi/schemas.json')];
    const file = candidates.find((f) => existsSync(f));
    if (!file) throw new Error(`openapi schemas.json not found (looked in ${candidates.join(', ')})`);
    defs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Schema>;
  }
  return defs;
}

const gvkKey = (g: Gvk) => `${g.group}/${g.version}/${g.kind}`;

/** The definition name of a kind, e.g. {apps, v1, Deployment} → io.k8s.api.apps.v1.Deployment. */
export function definitionFor(gvk: Gvk): string | undefined {
  if (!byGvk) {
    byGvk = new Map();
    for (const [name, s] of Object.entries(definitions())) {
      for (const g of (s['x-kubernetes-group-version-kind'] ?? []) as Gvk[]) byGvk.set(gvkKey(g), name);
    }
  }
  return byGvk.get(gvkKey(gvk));
}

export const refName = (ref: string): string => ref.startsWith(REF) ? ref.slice(REF.length) : ref;
export const refTo = (name: string): string => REF + name;

/** The schema a property points at: follows allOf[0] and $ref; primitives stay as they are. */
export function resolve(s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let i = 0; cur && i < 8; i++) {
    if (Array.isArray(cur.allOf) && cur.allOf.length === 1 && !cur.properties) cur = cur.allOf[0];
    else if (typeof cur.$ref === 'string') cur = definitions()[refName(cur.$ref)];
    else return cur;
  }
  return cur;
}

/** Every definition reachable from the given names, sorted by name. */
export function closure(roots: Iterable<string>): Record<string, Schema> {
  const all = definitions();
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !all[name]) return;
    seen.add(name);
    walkRefs(all[name], visit);
  };
  for (const r of roots) visit(r);
  return Object.fromEntries([...seen].sort().map((n) => [n, all[n]]));
}

/** Calls fn with the definition name of every $ref inside a schema or document fragment. */
export function walkRefs(node: unknown, fn: (name: string) => void): void {
  if (Array.isArray(node)) { for (const x of node) walkRefs(x, fn); return; }
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') fn(refName(v));
    else walkRefs(v, fn);
  }
}
