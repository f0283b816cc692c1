// How dockershim keeps CRI facts on docker objects, as upstream's dockershim did: names
// k8s_<container|POD>_<pod>_<namespace>_<uid>_<attempt> carry the metadata, CRI annotations
// become `annotation.<key>` labels, and a few io.kubernetes.* labels mark type, sandbox and log.

export const CONTAINER_TYPE_LABEL = 'io.kubernetes.docker.type';
export const TYPE_SANDBOX = 'podsandbox';
export const TYPE_CONTAINER = 'container';
export const SANDBOX_ID_LABEL = 'io.kubernetes.sandbox.id';
export const LOG_PATH_LABEL = 'io.kubernetes.container.logpath';
const ANNOTATION_PREFIX = 'annotation.';
const NAME_PREFIX = 'k8s';
const SANDBOX_NAME = 'POD';
const INTERNAL = new Set([CONTAINER_TYPE_LABEL, SANDBOX_ID_LABEL, LOG_PATH_LABEL]);

export interface SandboxMeta { name: string; namespace: string; uid: string; attempt: number }
export interface ContainerMeta { name: string; attempt: number }

export function sandboxName(m: SandboxMeta): string {
  return [NAME_PREFIX, SANDBOX_NAME, m.name, m.namespace, m.uid, m.attempt].join('_');
}

export function containerName(c: ContainerMeta, pod: SandboxMeta): string {
  return [NAME_PREFIX, c.name, pod.name, pod.namespace, pod.uid, c.attempt].join('_');
}

interface Parsed { container: ContainerMeta; pod: SandboxMeta }

/** Parses a docker name ("/k8s_main_web_default_<uid>_0"); undefined when it is not ours. */
export function parseName(dockerName: string): Parsed | undefined {
  const parts = dockerName.replace(/^\//, '').split('_');
  if (parts.length < 6 || parts[0] !== NAME_PREFIX) return undefined;
  const [, cname, pname, ns, uid, attempt] = parts as [string, string, string, string, string, string];
  const n = Number(attempt);
  if (!Number.isInteger(n) || n < 0) return undefined;
  return { container: { name: cname, attempt: n }, pod: { name: pname, namespace: ns, uid, attempt: n } };
}

/** CRI labels + annotations (+ internal labels) → docker labels. */
export function toDockerLabels(labels: Record<string, string> = {}, annotations: Record<string, string> = {},
  internal: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  for (const [k, v] of Object.entries(annotations)) out[ANNOTATION_PREFIX + k] = v;
  return { ...out, ...internal };
}

/** Docker labels → the CRI labels and annotations they came from. */
export function fromDockerLabels(docker: Record<string, string> | undefined): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(docker ?? {})) {
    if (k.startsWith(ANNOTATION_PREFIX)) annotations[k.slice(ANNOTATION_PREFIX.length)] = v;
    else if (!INTERNAL.has(k)) labels[k] = v;
  }
  return { labels, annotations };
}

/** Every key=value of `selector` is among `labels`. */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** Docker's RFC3339Nano timestamps → CRI int64 nanoseconds (as a decimal string); "0" for docker's zero time. */
export function toNanos(ts: string | number | undefined): string {
  if (ts === undefined || ts === '') return '0';
  if (typeof ts === 'number') return (BigInt(Math.trunc(ts)) * 1_000_000_000n).toString(); // unix seconds (list API)
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return '0';
  const secs = Date.parse(m[1]! + m[3]!) / 1000;
  if (!Number.isFinite(secs) || secs <= 0) return '0';
  const frac = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
  return (BigInt(secs) * 1_000_000_000n + frac).toString();
}
