// Kubernetes resource quantities ("250m", "1.5", "128Mi", "1G", "1e3") to numbers: CPU in
// millicores, everything else in base units. Enough of resource.Quantity for cgroup settings.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a quantity to its value in base units; throws on malformed input. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?))$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity ${JSON.stringify(q)}`);
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  if (m[3]) return n * BINARY[m[3]]!;
  return n * DECIMAL[m[4] ?? '']!;
}

/** CPU quantity → millicores, rounded up as upstream does. */
export function milliCpu(q: string | number | undefined): number {
  return q === undefined ? 0 : Math.ceil(Math.round(parseQuantity(q) * 1e6) / 1e3);
}

/** Byte quantity → bytes, rounded up. */
export function bytes(q: string | number | undefined): number {
  return q === undefined ? 0 : Math.ceil(parseQuantity(q));
}
