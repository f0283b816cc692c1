// Per-key exponential back-off, as upstream's flowcontrol.Backoff: a key's delay starts at
// `initial`, doubles on each next() up to `max`, and is forgotten after 2·max of quiet.
// Used for container restarts (CrashLoopBackOff) and image pulls (ImagePullBackOff).

interface Entry { backoffMs: number; lastUpdateMs: number }

export class Backoff {
  private entries = new Map<string, Entry>();

  constructor(readonly initialMs = 10_000, readonly maxMs = 300_000, private readonly now = () => Date.now()) {}

  /** Current delay of key (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Records one more failure/restart of key and returns the delay before the following one. */
  next(key: string): number {
    const t = this.now();
    const e = this.entries.get(key);
    if (!e || t - e.lastUpdateMs > 2 * this.maxMs) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdateMs: t });
      return this.initialMs;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdateMs = t;
    return e.backoffMs;
  }

  /** True while less than the key's current delay has passed since eventMs (e.g. the exit time). */
  inBackoffSince(key: string, eventMs: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.now() - e.lastUpdateMs > 2 * this.maxMs) return false;
    return this.now() - eventMs < e.backoffMs;
  }

  /** Milliseconds left of the key's delay counted from eventMs (0 if none). */
  remaining(key: string, eventMs: number): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, eventMs + e.backoffMs - this.now()) : 0;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops keys starting with prefix (a pod's uid when the pod goes away). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Forgets entries quiet for longer than 2·max. */
  gc(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (t - e.lastUpdateMs > 2 * this.maxMs) this.entries.delete(k);
  }
}
