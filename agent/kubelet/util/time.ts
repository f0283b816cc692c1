// Time conversions between CRI (int64 nanoseconds as decimal strings) and the Kubernetes API
// (RFC 3339 at second precision for metav1.Time, microseconds for metav1.MicroTime); and a
// periodic task that never overlaps itself.

/** CRI nanoseconds → epoch milliseconds (0 when unset). */
export function nsToMs(ns: string | number | undefined): number {
  if (ns === undefined || ns === '' || ns === '0' || ns === 0) return 0;
  return Number(BigInt(ns) / 1_000_000n);
}

/** metav1.Time: RFC 3339, whole seconds, UTC. */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** CRI nanoseconds → metav1.Time, or undefined when unset. */
export function nsToTime(ns: string | undefined): string | undefined {
  const ms = nsToMs(ns);
  return ms ? rfc3339(ms) : undefined;
}

/** Runs task every `everyMs`, skipping a tick while the last run is still going (timer unref'd); returns stop. */
export function everyWithoutOverlap(everyMs: number, task: () => Promise<unknown>): () => void {
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    void task().finally(() => { busy = false; });
  }, everyMs);
  t.unref();
  return () => clearInterval(t);
}
