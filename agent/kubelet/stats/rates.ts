// CPU rate from cumulative counters, as cAdvisor derives usageNanoCores: the kubelet samples
// every housekeeping period (one timer for the node, not per pod) and a rate is the slope
// between the current reading and the newest sample at least minGapMs old.
interface Sample { t: number; v: number }

export class Rates {
  private samples = new Map<string, Sample[]>();

  constructor(private readonly minGapMs = 1000, private readonly keep = 3) {}

  /** Records a reading and returns the rate per second (undefined until two readings exist). */
  observe(key: string, value: number, now = Date.now()): number | undefined {
    const list = this.samples.get(key) ?? [];
    const prev = [...list].reverse().find((s) => now - s.t >= this.minGapMs);
    const last = list[list.length - 1];
    if (!last || now - last.t >= this.minGapMs) {
      list.push({ t: now, v: value });
      if (list.length > this.keep) list.shift();
      this.samples.set(key, list);
    }
    if (!prev || value < prev.v) return undefined;
    return ((value - prev.v) / (now - prev.t)) * 1000;
  }

  /** Drops keys not seen in `live`. */
  retain(live: Set<string>): void {
    for (const k of this.samples.keys()) if (!live.has(k)) this.samples.delete(k);
  }
}
