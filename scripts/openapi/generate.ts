// Generates control/api/openapi/schemas.json, the OpenAPI v3 component schemas of the API
// types, from kubernetes-types' .d.ts files (which carry upstream's doc comments), read with
// the TypeScript 7 compiler API. Deterministic; re-run after upgrading kubernetes-types:
//   npx tsc -p tsconfig.json && node dist/scripts/openapi/generate.js [out.json]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API } from 'typescript/unstable/sync';
import { SyntaxKind, getTextOfJSDocComment, type Node, type SourceFile } from 'typescript/unstable/ast';
import { listExtensions, extensionFields } from './extensions.js';

type Schema = Record<string, unknown>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const typesDir = join(root, 'node_modules/kubernetes-types');
const out = process.argv[2] ?? join(root, 'control/api/openapi/schemas.json');

/** kubernetes-types module → upstream definition prefix. */
const modules: Record<string, string> = {
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  version: 'io.k8s.apimachinery.pkg.version',
  'core/v1': 'io.k8s.api.core.v1',
  'apps/v1': 'io.k8s.api.apps.v1',
  'batch/v1': 'io.k8s.api.batch.v1',
  'autoscaling/v1': 'io.k8s.api.autoscaling.v1',
  'coordination/v1': 'io.k8s.api.coordination.v1',
  'discovery/v1': 'io.k8s.api.discovery.v1',
  'policy/v1': 'io.k8s.api.policy.v1',
  'authentication/v1': 'io.k8s.api.authentication.v1',
  'authorization/v1': 'io.k8s.api.authorization.v1',
  'rbac/v1': 'io.k8s.api.rbac.v1',
  'networking/v1': 'io.k8s.api.networking.v1',
  'scheduling/v1': 'io.k8s.api.scheduling.v1',
  'storage/v1': 'io.k8s.api.storage.v1',
};
const intOrString = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const ref = (name: string) => `#/components/schemas/${name}`;

/** Doc comment of a declaration, as one trimmed string. */
function docOf(node: Node): string | undefined {
  const docs = (node as unknown as { jsDoc?: Array<{ comment?: unknown }> }).jsDoc;
  const text = docs?.length ? getTextOfJSDocComment(docs[docs.length - 1].comment as never) : undefined;
  return text?.trim() || undefined;
}

/** Where each imported name of a file comes from ("ObjectMeta" → "meta/v1"). */
function importsOf(sf: SourceFile, mod: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const st of sf.statements as unknown as Node[]) {
    if (st.kind !== SyntaxKind.ImportDeclaration) continue;
    const s = st as unknown as { moduleSpecifier: { text: string }; importClause?: { namedBindings?: { elements: Array<{ name: { text: string } }> } } };
    const from = join(dirname(mod), s.moduleSpecifier.text).replace(/^\.\//, '');
    for (const el of s.importClause?.namedBindings?.elements ?? []) names.set(el.name.text, from);
  }
  return names;
}

function generate(): Record<string, Schema> {
  const work = mkdtempSync(join(tmpdir(), 'tskube-openapi-'));
  const files = Object.keys(modules).map((m) => join(typesDir, `${m}.d.ts`));
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions: { noEmit: true, types: [] }, files }));
  const api = new API({ cwd: work });
  const defs: Record<string, Schema> = {};
  try {
    const project = api.updateSnapshot({ openProjects: [join(work, 'tsconfig.json')] }).getProjects()[0];
    for (const [mod, prefix] of Object.entries(modules)) {
      const sf = project.program.getSourceFile(join(typesDir, `${mod}.d.ts`));
      if (!sf) throw new Error(`kubernetes-types/${mod}.d.ts not found`);
      const imports = importsOf(sf, mod);
      const local = new Set((sf.statements as unknown as Array<{ name?: { text: string } }>).map((s) => s.name?.text).filter(Boolean));
      const nameOf = (id: string): string => {
        if (local.has(id)) return `${prefix}.${id}`;
        const from = imports.get(id);
        if (!from || !modules[from]) throw new Error(`${mod}: cannot resolve type ${id}`);
        return `${modules[from]}.${id}`;
      };
      const typeSchema = (t: Node): Schema => {
        const n = t as unknown as Record<string, any>;
        switch (t.kind) {
          case SyntaxKind.StringKeyword: return { type: 'string' };
          case SyntaxKind.NumberKeyword: return { type: 'integer' };
          case SyntaxKind.BooleanKeyword: return { type: 'boolean' };
          case SyntaxKind.LiteralType: return { type: 'string' }; // apiVersion/kind constants
          case SyntaxKind.ArrayType: return { type: 'array', items: typeSchema(n.elementType) };
          case SyntaxKind.UnionType: {
            const kinds = (n.types as Node[]).map((x) => x.kind).sort();
            if (kinds.length === 2 && kinds.includes(SyntaxKind.NumberKeyword) && kinds.includes(SyntaxKind.StringKeyword)) return { $ref: ref(intOrString) };
            throw new Error(`${mod}: unsupported union`);
          }
          case SyntaxKind.TypeLiteral: {
            const idx = (n.members as Node[]).find((m) => m.kind === SyntaxKind.IndexSignature) as any;
            if (idx) return { type: 'object', additionalProperties: typeSchema(idx.type) };
            return { type: 'object' };
          }
          case SyntaxKind.TypeReference: {
            const id = n.typeName.text as string;
            if (id === 'Array') return { type: 'array', items: typeSchema(n.typeArguments[0]) };
            return { $ref: ref(nameOf(id)) };
          }
          default: throw new Error(`${mod}: unsupported type node ${SyntaxKind[t.kind]}`);
        }
      };
      for (const st of sf.statements as unknown as Node[]) {
        const decl = st as unknown as { name: { text: string }; members: Node[]; type: Node };
        const name = `${prefix}.${decl.name?.text}`;
        const description = docOf(st);
        if (st.kind === SyntaxKind.TypeAliasDeclaration) defs[name] = aliasSchema(decl.name.text, description);
        if (st.kind !== SyntaxKind.InterfaceDeclaration) continue;
        const properties: Record<string, Schema> = {};
        const required: string[] = [];
        let apiVersion: string | undefined, kind: string | undefined;
        for (const m of decl.members) {
          if (m.kind !== SyntaxKind.PropertySignature) continue;
          const p = m as unknown as { name: { text: string }; postfixToken?: unknown; type: Node & { literal?: { text: string } } };
          const prop = p.name.text;
          if (!p.postfixToken) required.push(prop);
          if (p.type.kind === SyntaxKind.LiteralType && prop === 'apiVersion') apiVersion = p.type.literal!.text;
          if (p.type.kind === SyntaxKind.LiteralType && prop === 'kind') kind = p.type.literal!.text;
          properties[prop] = propertySchema(typeSchema(p.type), docOf(m), listExtensions[`${name}.${prop}`]);
        }
        const schema: Schema = { description, type: 'object' };
        if (Object.keys(properties).length) schema.properties = sortKeys(properties);
        else schema['x-kubernetes-preserve-unknown-fields'] = true; // RawExtension, FieldsV1
        if (required.length) schema.required = required.sort();
        if (kind && apiVersion) {
          const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
          schema['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
        }
        if (!description) delete schema.description;
        defs[name] = schema;
      }
    }
  } finally {
    api.close();
    rmSync(work, { recursive: true, force: true });
  }
  defs[intOrString] = {
    description: 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
    format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true,
  };
  // Meta types served for every group carry the GVKs upstream gives them.
  const status = defs['io.k8s.apimachinery.pkg.apis.meta.v1.Status'];
  status['x-kubernetes-group-version-kind'] = [{ group: '', kind: 'Status', version: 'v1' }];
  return sortKeys(defs);
}

/** type Quantity = string, Time, MicroTime: primitives with their upstream formats. */
function aliasSchema(name: string, description?: string): Schema {
  switch (name) {
    case 'Quantity': return { description, oneOf: [{ type: 'string' }, { type: 'number' }] };
    case 'Time': case 'MicroTime': return { description, type: 'string', format: 'date-time' };
    default: return { description, type: 'string' };
  }
}

/** A property: refs wrapped in allOf (so a description can sit beside them), plus list extensions. */
function propertySchema(t: Schema, description?: string, ext?: ReturnType<typeof listExtensionsOf>): Schema {
  const wrap = (s: Schema): Schema => (s.$ref ? { allOf: [s] } : s);
  const s: Schema = t.type === 'array' ? { type: 'array', items: wrap(t.items as Schema) }
    : t.type === 'object' && t.additionalProperties ? { type: 'object', additionalProperties: wrap(t.additionalProperties as Schema) }
    : wrap(t);
  if (description) s.description = description;
  return ext ? { ...s, ...extensionFields(ext) } : s;
}
const listExtensionsOf = (k: string) => listExtensions[k];

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

const started = Date.now();
const defs = generate();
const missing = Object.keys(listExtensions).filter((k) => {
  const i = k.lastIndexOf('.');
  return !(defs[k.slice(0, i)]?.properties as Record<string, unknown> | undefined)?.[k.slice(i + 1)];
});
if (missing.length) throw new Error(`list extensions name unknown fields: ${missing.join(', ')}`);
writeFileSync(out, JSON.stringify(defs, null, 1) + '\n');
console.log(`wrote ${Object.keys(defs).length} schemas to ${out} in ${Date.now() - started} ms`);
