// host-gw: a route to every other node's pod CIDR through that node's address. Our routes
// carry their own protocol number (ROUTE_PROTO), so a reconcile can tell them from everyone
// else's and remove the ones whose node is gone. desiredRoutes/diffRoutes are pure.
import type { Node } from 'kubernetes-types/core/v1.js';
import { ip } from './ip.js';

/** rtnetlink protocol tagging routes tskube made ("proto 116" in `ip route`). */
export const ROUTE_PROTO = '116';

/** podCIDR → gateway (the other node's InternalIP). */
export type RouteTable = Map<string, string>;

export function internalIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/** Routes this node should have: every other node with both a pod CIDR and an InternalIP. */
export function desiredRoutes(nodes: Node[], selfName: string): RouteTable {
  const out: RouteTable = new Map();
  for (const n of nodes) {
    if (n.metadata?.name === selfName) continue;
    const cidr = n.spec?.podCIDR, gw = internalIP(n);
    if (cidr && gw && !cidr.includes(':')) out.set(cidr, gw);
  }
  return out;
}

export interface RouteDiff { replace: Array<{ cidr: string; via: string }>; remove: string[] }

/** What to change so current becomes desired: replace missing/wrong ones, drop the rest. */
export function diffRoutes(desired: RouteTable, current: RouteTable): RouteDiff {
  const diff: RouteDiff = { replace: [], remove: [] };
  for (const [cidr, via] of desired) if (current.get(cidr) !== via) diff.replace.push({ cidr, via });
  for (const cidr of current.keys()) if (!desired.has(cidr)) diff.remove.push(cidr);
  return diff;
}

/** Our routes now in the kernel, from `ip -j route show proto 116`. */
export async function currentRoutes(prefix: string[] = []): Promise<RouteTable> {
  const out = await ip(prefix, ['-j', '-4', 'route', 'show', 'proto', ROUTE_PROTO]);
  const rows = JSON.parse(out || '[]') as Array<{ dst: string; gateway?: string }>;
  return new Map(rows.filter((r) => r.gateway).map((r) => [r.dst.includes('/') ? r.dst : `${r.dst}/32`, r.gateway!]));
}

/** Applies a diff; returns it for logging. Each change is idempotent (replace / delete). */
export async function applyRoutes(diff: RouteDiff, prefix: string[] = []): Promise<RouteDiff> {
  for (const { cidr, via } of diff.replace) {
    await ip(prefix, ['route', 'replace', cidr, 'via', via, 'proto', ROUTE_PROTO]);
  }
  for (const cidr of diff.remove) {
    await ip(prefix, ['route', 'del', cidr, 'proto', ROUTE_PROTO]).catch(() => undefined); // already gone
  }
  return diff;
}

/** One reconcile: read, diff, apply. */
export async function syncRoutes(desired: RouteTable, prefix: string[] = []): Promise<RouteDiff> {
  return applyRoutes(diffRoutes(desired, await currentRoutes(prefix)), prefix);
}
