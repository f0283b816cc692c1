// Writes proto/k8s/**/generated.proto: the subset of k8s.io/api and apimachinery messages
// that kubectl's typed clients send as protobuf, with every nested type they use, and
// proto/k8s/openapiv2/OpenAPIv2.proto (gnostic), the encoding of /openapi/v2. Field names and
// numbers come from the descriptors kubectl itself embeds (gzipped FileDescriptorProtos of
// its generated.pb.go files; gnostic's raw descriptor), so they are upstream's own.
//   npx tsc -p tsconfig.json && node dist/scripts/openapi/k8s-proto.js [/usr/bin/kubectl]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const descriptor = require('protobufjs/ext/descriptor') as { FileDescriptorProto: { decode(b: Uint8Array): FileDesc } };
const protobuf = require('protobufjs') as typeof import('protobufjs');

interface FieldDesc { name: string; number: number; label: number; type: number; typeName?: string }
interface MsgDesc { name: string; field: FieldDesc[]; nestedType: MsgDesc[]; options?: { mapEntry?: boolean } }
interface FileDesc { name: string; package: string; dependency: string[]; messageType: MsgDesc[]; syntax?: string }

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = join(root, 'proto/k8s');

/** Kinds kubectl (and client libraries) may send as protobuf, by package. */
const roots: Record<string, string[]> = {
  'k8s.io.api.core.v1': ['ConfigMap', 'Secret', 'Namespace', 'Service', 'ServiceAccount', 'Pod', 'Binding', 'ResourceQuota', 'LimitRange', 'Endpoints', 'Event', 'Node', 'PodTemplate', 'ReplicationController'],
  'k8s.io.api.apps.v1': ['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet'],
  'k8s.io.api.batch.v1': ['Job', 'CronJob'],
  'k8s.io.api.policy.v1': ['Eviction', 'PodDisruptionBudget'],
  'k8s.io.api.authorization.v1': ['SelfSubjectAccessReview', 'SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview'],
  'k8s.io.api.authentication.v1': ['TokenRequest', 'TokenReview', 'SelfSubjectReview'],
  'k8s.io.api.rbac.v1': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  'k8s.io.api.autoscaling.v1': ['Scale'],
  'k8s.io.api.coordination.v1': ['Lease'],
  'k8s.io.api.discovery.v1': ['EndpointSlice'],
  'k8s.io.api.scheduling.v1': ['PriorityClass'],
  'k8s.io.apimachinery.pkg.apis.meta.v1': ['DeleteOptions', 'Status'],
  'k8s.io.apimachinery.pkg.runtime': ['Unknown'],
  'openapi.v2': ['Document'],
};

const scalar: Record<number, string> = { 1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool', 9: 'string', 12: 'bytes', 13: 'uint32', 15: 'sfixed32', 16: 'sfixed64', 17: 'sint32', 18: 'sint64' };

/** Every k8s FileDescriptorProto embedded in a Go binary (gzip members with Go's header). */
function embeddedFiles(binary: Buffer): FileDesc[] {
  const magic = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0xff]);
  const files = new Map<string, FileDesc>();
  for (let i = binary.indexOf(magic); i >= 0; i = binary.indexOf(magic, i + magic.length)) {
    try {
      const fd = descriptor.FileDescriptorProto.decode(inflateRawSync(binary.subarray(i + magic.length, i + magic.length + (4 << 20))));
      if (fd.name?.startsWith('k8s.io/') && !files.has(fd.name)) files.set(fd.name, fd);
    } catch { /* not a descriptor */ }
  }
  // gnostic's OpenAPI v2 descriptor is stored uncompressed: read fields up to the first tag
  // a FileDescriptorProto cannot have.
  const name = 'openapiv2/OpenAPIv2.proto';
  const at = binary.indexOf(Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]));
  if (at >= 0) {
    const r = protobuf.Reader.create(binary.subarray(at, at + (1 << 20)));
    let end = 0;
    while (r.pos < r.len) {
      const tag = r.uint32();
      if ((tag >>> 3) < 1 || (tag >>> 3) > 14 || (tag & 7) > 5) break;
      r.skipType(tag & 7);
      end = r.pos;
    }
    files.set(name, descriptor.FileDescriptorProto.decode(binary.subarray(at, at + end)));
  }
  return [...files.values()];
}

function main(): void {
  const kubectl = process.argv[2] ?? '/usr/bin/kubectl';
  const files = embeddedFiles(readFileSync(kubectl));
  const byMsg = new Map<string, { file: FileDesc; msg: MsgDesc }>();
  for (const file of files) for (const msg of file.messageType) byMsg.set(`${file.package}.${msg.name}`, { file, msg });

  const keep = new Set<string>();
  const visit = (full: string) => {
    if (keep.has(full)) return;
    const found = byMsg.get(full);
    if (!found) throw new Error(`message ${full} not embedded in ${kubectl}`);
    keep.add(full);
    const refs = (m: MsgDesc) => m.field.filter((f) => f.typeName).map((f) => f.typeName!.replace(/^\./, ''));
    for (const t of [...refs(found.msg), ...found.msg.nestedType.flatMap(refs)]) if (byMsg.has(t)) visit(t);
  };
  for (const [pkg, kinds] of Object.entries(roots)) for (const k of kinds) visit(`${pkg}.${k}`);

  rmSync(outDir, { recursive: true, force: true });
  let count = 0;
  for (const file of files.sort((a, b) => a.name.localeCompare(b.name))) {
    const msgs = file.messageType.filter((m) => keep.has(`${file.package}.${m.name}`)).sort((a, b) => a.name.localeCompare(b.name));
    if (!msgs.length) continue;
    const deps = new Set<string>();
    const lines = [
      `// Subset of upstream's ${file.name}, generated by scripts/openapi/k8s-proto.ts`,
      '// from the descriptors embedded in kubectl. Do not edit.',
      `syntax = "${file.syntax || 'proto2'}";`, '', `package ${file.package};`, '',
    ];
    const body: string[] = [];
    for (const m of msgs) {
      body.push(`message ${m.name} {`);
      for (const f of [...m.field].sort((a, b) => a.number - b.number)) {
        const entry = m.nestedType.find((n) => n.options?.mapEntry && f.typeName?.endsWith(`.${m.name}.${n.name}`));
        const typeOf = (x: FieldDesc) => {
          if (!x.typeName) return scalar[x.type];
          const t = x.typeName.replace(/^\./, '');
          if (t === 'google.protobuf.Any') deps.add('google/protobuf/any.proto');
          const owner = byMsg.get(t)?.file;
          if (owner && owner.name !== file.name) deps.add(owner.name);
          return `.${t}`;
        };
        if (entry) {
          const [k, v] = [entry.field.find((x) => x.number === 1)!, entry.field.find((x) => x.number === 2)!];
          body.push(`  map<${typeOf(k)}, ${typeOf(v)}> ${f.name} = ${f.number};`);
        } else {
          const label = f.label === 3 ? 'repeated ' : file.syntax === 'proto3' ? '' : 'optional ';
          body.push(`  ${label}${typeOf(f)} ${f.name} = ${f.number};`);
        }
      }
      body.push('}', '');
      count++;
    }
    for (const d of [...deps].sort()) lines.push(`import "${d}";`);
    if (deps.size) lines.push('');
    const path = join(outDir, file.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, [...lines, ...body].join('\n'));
  }
  console.log(`wrote ${count} messages from ${kubectl} to ${outDir}`);
}

main();
