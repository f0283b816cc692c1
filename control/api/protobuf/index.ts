// Decoding of application/vnd.kubernetes.protobuf bodies, which kubectl's typed clients send
// (create configmap/secret/deployment/service/job/namespace, auth can-i, create token): the
// "k8s\0" magic, a runtime.Unknown envelope naming apiVersion/kind, and the object's message
// from upstream's generated.proto (subset in proto/k8s/), turned into the JSON shape.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { StatusError, badRequest, unsupportedMediaType } from '../status.js';
import { message } from './convert.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"
const MAX_BODY = 3 * 1024 * 1024;

/** Finds proto/k8s walking up from this file (works from the source and from dist/). */
function protoDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const p = join(dir, 'proto', 'k8s');
    if (existsSync(join(p, 'k8s.io'))) return p;
    if (dirname(dir) === dir) throw new Error('proto/k8s not found above ' + fileURLToPath(import.meta.url));
  }
}

function protoFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? protoFiles(join(dir, e.name), base) : e.name.endsWith('.proto') ? [relative(base, join(dir, e.name))] : []);
}

let root: protobuf.Root | undefined;
/** Every message of proto/k8s, loaded once. */
export function protoRoot(): protobuf.Root {
  if (!root) {
    const dir = protoDir();
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => join(dir, target);
    r.loadSync(protoFiles(join(dir, 'k8s.io'), dir), { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

/** Proto package of an API group-version: apps/v1 → k8s.io.api.apps.v1, v1 → k8s.io.api.core.v1. */
function packageOf(apiVersion: string): string[] {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').replace(/^rbac\.authorization$/, 'rbac');
  return [`k8s.io.api.${g}.${version}`, `k8s.io.apimachinery.pkg.apis.meta.${version}`];
}

/** The message type of apiVersion/kind, if we carry it. */
export function messageType(apiVersion: string, kind: string): protobuf.Type | undefined {
  for (const pkg of packageOf(apiVersion)) {
    const t = protoRoot().lookup(`${pkg}.${kind}`);
    if (t instanceof protobuf.Type) return t;
  }
  return undefined;
}

export function decodeProtobuf(body: Buffer, contentType: string): unknown {
  if (!contentType.split(';')[0].trim().startsWith('application/vnd.kubernetes.protobuf')) throw unsupportedMediaType(contentType);
  if (body.length > MAX_BODY) throw new StatusError(413, 'RequestEntityTooLarge', 'the request body is too large');
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('the body of the request was not a Kubernetes protobuf message (missing the "k8s\\x00" prefix)');
  }
  let envelope: Record<string, any>;
  try {
    envelope = protoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(body.subarray(MAGIC.length)) as never;
  } catch (err) {
    throw badRequest(`the protobuf envelope could not be decoded: ${(err as Error).message}`);
  }
  const apiVersion = String(envelope.typeMeta?.apiVersion ?? '');
  const kind = String(envelope.typeMeta?.kind ?? '');
  if (!apiVersion || !kind) throw badRequest('the protobuf envelope does not name an apiVersion and kind');
  if (envelope.contentEncoding) throw badRequest(`unsupported protobuf content encoding "${envelope.contentEncoding}"`);
  const raw: Uint8Array = envelope.raw ?? new Uint8Array();
  if (envelope.contentType === 'application/json') return { ...parseJson(raw), apiVersion, kind };
  const type = messageType(apiVersion, kind);
  if (!type) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf`);
  let decoded: Record<string, unknown>;
  try {
    decoded = type.decode(raw) as never;
  } catch (err) {
    throw badRequest(`the ${kind} in the protobuf body could not be decoded: ${(err as Error).message}`);
  }
  try {
    return { apiVersion, kind, ...(message(type, decoded) as object) };
  } catch (err) {
    throw badRequest(`the ${kind} in the protobuf body could not be converted: ${(err as Error).message}`);
  }
}

function parseJson(raw: Uint8Array): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(raw).toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch { /* fall through */ }
  throw badRequest('the JSON inside the protobuf envelope is not an object');
}
