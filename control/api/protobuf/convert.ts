// A decoded k8s protobuf message → the JSON object kubectl would have sent: Time as RFC 3339,
// IntOrString as a number or string, Quantity as its string, []byte as base64, embedded
// (json:",inline") structs flattened, and the zero values Go's JSON omitempty would drop.
import type protobuf from 'protobufjs';
import { definitions } from '../openapi/schemas.js';

type Json = Record<string, unknown>;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** Pointer fields where an explicit 0 means something (kept; other zero ints are omitempty). */
const keepZero = new Set([
  'replicas', 'parallelism', 'completions', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'activeDeadlineSeconds',
  'ttlSecondsAfterFinished', 'terminationGracePeriodSeconds', 'gracePeriodSeconds', 'deletionGracePeriodSeconds',
  'revisionHistoryLimit', 'progressDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit',
  'startingDeadlineSeconds', 'runAsUser', 'runAsGroup', 'fsGroup', 'priority', 'defaultMode', 'mode', 'partition',
  'expirationSeconds', 'leaseTransitions', 'value',
]);
/** Pointer bools whose false differs from unset (kept; other false bools are omitempty). */
const keepFalse = new Set([
  'automountServiceAccountToken', 'enableServiceLinks', 'allocateLoadBalancerNodePorts', 'allowPrivilegeEscalation',
  'hostUsers', 'ready', 'serving', 'terminating', 'allowed', 'denied', 'authenticated', 'suspend', 'immutable',
]);

/** Upstream OpenAPI definition name of a proto message: k8s.io.api.core.v1.Pod → io.k8s.api.core.v1.Pod. */
const defName = (fullName: string) => fullName.replace(/^\.?k8s\.io\./, 'io.k8s.');

/** Property names the JSON form of a message has, from the generated schemas (for inline detection). */
const propsCache = new WeakMap<protobuf.Type, Set<string> | undefined>();
function jsonProps(t: protobuf.Type): Set<string> | undefined {
  if (!propsCache.has(t)) {
    const props = definitions()[defName(t.fullName)]?.properties as Json | undefined;
    propsCache.set(t, props ? new Set(Object.keys(props)) : undefined);
  }
  return propsCache.get(t);
}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** Go's time.Duration String(): 1h2m3.5s, 150ms, 0s. */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${n / 1e3}µs`;
  if (n < 1e9) return `${sign}${n / 1e6}ms`;
  const h = Math.floor(n / 3.6e12); n -= h * 3.6e12;
  const m = Math.floor(n / 6e10); n -= m * 6e10;
  const s = `${n / 1e9}s`;
  return sign + (h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s);
}

/** Well-known apimachinery types with a JSON form of their own; undefined = omit. */
const specialTypes = new Set([`${META}.Time`, `${META}.MicroTime`, `${META}.Duration`, `${META}.FieldsV1`, 'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.api.resource.Quantity', 'k8s.io.apimachinery.pkg.runtime.RawExtension']);
const nameCache = new WeakMap<protobuf.Type, string | undefined>();
function special(t: protobuf.Type, m: Json): { value: unknown } | undefined {
  if (!nameCache.has(t)) {
    const n = t.fullName.replace(/^\./, '');
    nameCache.set(t, specialTypes.has(n) ? n : undefined);
  }
  switch (nameCache.get(t)) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      const s = toNumber(m.seconds ?? 0), n = toNumber(m.nanos ?? 0);
      return { value: s === 0 && n === 0 ? undefined : rfc3339(s, n, t.name === 'MicroTime') };
    }
    case `${META}.Duration`: return { value: goDuration(toNumber(m.duration ?? 0)) };
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      if (toNumber(m.type ?? 0) === 1) return { value: m.strVal ?? '' };
      return { value: toNumber(m.intVal ?? 0) === 0 ? undefined : toNumber(m.intVal) };
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity': return { value: m.string || undefined };
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension': return { value: rawJson(m.raw) };
    case `${META}.FieldsV1`: return { value: rawJson(m.Raw) };
    default: return undefined;
  }
}

function rawJson(raw: unknown): unknown {
  if (!raw || !(raw as Uint8Array).length) return undefined;
  const text = Buffer.from(raw as Uint8Array).toString('utf8');
  try { return JSON.parse(text); } catch { return Buffer.from(raw as Uint8Array).toString('base64'); }
}

function scalar(f: protobuf.Field, v: unknown): unknown {
  switch (f.type) {
    case 'bytes': return Buffer.from(v as Uint8Array).toString('base64');
    case 'string': return v;
    case 'bool': return v;
    default: return toNumber(v); // int32/int64 (Long)/double
  }
}

const omitScalar = (f: protobuf.Field, v: unknown, inStatus: boolean): boolean =>
  (f.type === 'string' && v === '') ||
  (f.type === 'bool' && v === false && !keepFalse.has(f.name)) ||
  (f.type !== 'string' && f.type !== 'bool' && f.type !== 'bytes' && toNumber(v) === 0 && (inStatus || !keepZero.has(f.name)));

function value(f: protobuf.Field, v: unknown, depth: number, inStatus: boolean): unknown {
  if (f.resolvedType && 'fieldsArray' in f.resolvedType) return message(f.resolvedType as protobuf.Type, v as Json, depth + 1, inStatus || f.name === 'status');
  return scalar(f, v);
}

/** The JSON form of one decoded message. */
export function message(t: protobuf.Type, m: Json, depth = 0, inStatus = false): unknown {
  if (depth > 100) throw new Error('protobuf message nested too deeply');
  const sp = special(t, m);
  if (sp) return sp.value;
  const props = jsonProps(t);
  const out: Json = {};
  for (const f of t.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(m, f.name)) continue;
    const v = m[f.name];
    if (f.map) {
      if (!v || Object.keys(v as Json).length === 0) continue; // nil and empty maps look alike; JSON omits both
      const obj: Json = {};
      for (const [k, x] of Object.entries(v as Json)) {
        obj[k] = f.resolvedType && 'fieldsArray' in f.resolvedType ? message(f.resolvedType as protobuf.Type, x as Json, depth + 1, inStatus) : scalar(f, x);
      }
      out[f.name] = obj;
    } else if (f.repeated) {
      if (!(v as unknown[]).length) continue;
      out[f.name] = (v as unknown[]).map((x) => value(f, x, depth, inStatus));
    } else if (f.resolvedType && 'fieldsArray' in f.resolvedType) {
      const inner = value(f, v, depth, inStatus);
      // An embedded Go struct (json:",inline") appears as a field the JSON form does not have.
      if (props && !props.has(f.name) && inner && typeof inner === 'object') Object.assign(out, inner);
      else if (inner !== undefined) out[f.name] = inner;
    } else if (!omitScalar(f, v, inStatus)) {
      out[f.name] = scalar(f, v);
    }
  }
  return out;
}
