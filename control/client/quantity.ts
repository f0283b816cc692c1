// Kubernetes resource quantities ("100m", "1", "0.5", "128Mi", "1G", "1e3") as numbers, shared by
// the scheduler (fit) and the kubelet (cgroup limits):
// CPU in millicores and memory in bytes, rounded up like upstream's MilliValue/Value.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The quantity as a plain number (cores, bytes, count). Throws on a malformed quantity. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined || q === null) return 0;
  if (typeof q === 'number') return q;
  const m = RE.exec(q.trim());
  if (!m) throw new Error(`invalid quantity: ${JSON.stringify(q)}`);
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix]!);
}

/** Lenient variant for data read off the wire: a malformed quantity counts as 0. */
export function quantityOr0(q: string | number | undefined): number {
  try { return parseQuantity(q); } catch { return 0; }
}

/** CPU in millicores, rounded up ("100m" → 100, "1" → 1000, "0.1" → 100). */
export const milliCpu = (q: string | number | undefined): number => Math.ceil(Math.round(quantityOr0(q) * 1e9) / 1e6);

/** An integer value (bytes, pods, devices), rounded up. */
export const intValue = (q: string | number | undefined): number => Math.ceil(Math.round(quantityOr0(q) * 1e3) / 1e3);

/** Bytes, rounded up (memory requests and limits). */
export const bytes = intValue;
