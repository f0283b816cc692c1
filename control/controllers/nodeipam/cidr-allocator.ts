// Pod CIDR allocation (upstream nodeipam range allocator): carves a cluster CIDR (10.244.0.0/16)
// into per-node subnets (/24) and hands out the lowest free one. Pure and in-memory: the
// controller rebuilds the used set from existing Nodes at start, so it is stable over restarts.

export function parseCidr(cidr: string): { base: number; bits: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`invalid IPv4 CIDR: ${cidr}`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) throw new Error(`invalid IPv4 CIDR: ${cidr}`);
  const ip = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class CidrAllocator {
  private readonly base: number;
  private readonly count: number;
  private readonly subnetSize: number;
  private readonly used = new Set<number>();
  private next = 0; // where the search for a free subnet starts (upstream rotates the same way)

  constructor(clusterCidr = '10.244.0.0/16', readonly subnetBits = 24) {
    const c = parseCidr(clusterCidr);
    if (subnetBits < c.bits) throw new Error(`subnet /${subnetBits} larger than cluster CIDR ${clusterCidr}`);
    this.base = c.base;
    this.subnetSize = 2 ** (32 - subnetBits);
    this.count = 2 ** (subnetBits - c.bits);
  }

  private indexOf(cidr: string): number | undefined {
    let c;
    try { c = parseCidr(cidr); } catch { return undefined; }
    if (c.bits !== this.subnetBits) return undefined;
    const i = (c.base - this.base) / this.subnetSize;
    return Number.isInteger(i) && i >= 0 && i < this.count ? i : undefined;
  }

  /** Marks a CIDR taken (from an existing Node). False if outside the range or already taken. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined || this.used.has(i)) return false;
    this.used.add(i);
    return true;
  }

  isUsed(cidr: string): boolean {
    const i = this.indexOf(cidr);
    return i !== undefined && this.used.has(i);
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  /** The next free subnet, or undefined when the range is full. */
  allocate(): string | undefined {
    for (let k = 0; k < this.count; k++) {
      const i = (this.next + k) % this.count;
      if (this.used.has(i)) continue;
      this.used.add(i);
      this.next = (i + 1) % this.count;
      return `${formatIp(this.base + i * this.subnetSize)}/${this.subnetBits}`;
    }
    return undefined;
  }
}
