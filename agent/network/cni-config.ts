// The node's CNI network config (DESIGN decision 2): a bridge cni0 with host-local IPAM over
// this node's pod CIDR, no masquerade (host-gw routes carry pod-to-pod traffic un-NATed), and
// portmap for hostPort. Written atomically; containerd watches the directory and reloads it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const CONFLIST_NAME = '10-tskube.conflist';
// Debian's containernetworking-plugins 1.1.1 speak 0.1.0 … 1.0.0; containerd 1.6's libcni too.
export const CNI_VERSION = '1.0.0';

/** The first host address of an IPv4 CIDR: 10.244.1.0/24 → 10.244.1.1. */
export function gatewayOf(cidr: string): string {
  const [net, bits] = cidr.split('/');
  const n = net.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const gw = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (gw >>> s) & 255).join('.');
}

export interface CniOptions { podCIDR: string; ipamDataDir?: string; bridge?: string; mtu?: number }

/** The conflist as an object: pure, unit-tested. */
export function renderConflist(o: CniOptions): object {
  const ipam: Record<string, unknown> = {
    type: 'host-local',
    ranges: [[{ subnet: o.podCIDR, gateway: gatewayOf(o.podCIDR) }]],
    routes: [{ dst: '0.0.0.0/0' }],
  };
  if (o.ipamDataDir) ipam.dataDir = o.ipamDataDir;
  const bridge: Record<string, unknown> = {
    type: 'bridge',
    bridge: o.bridge ?? 'cni0',
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam,
  };
  if (o.mtu) bridge.mtu = o.mtu;
  return {
    cniVersion: CNI_VERSION,
    name: 'tskube',
    plugins: [bridge, { type: 'portmap', capabilities: { portMappings: true } }],
  };
}

/** Writes the conflist (tmp + rename) unless identical; true when the file changed. */
export async function writeConflist(confDir: string, o: CniOptions): Promise<boolean> {
  const text = JSON.stringify(renderConflist(o), null, 2) + '\n';
  const file = path.join(confDir, CONFLIST_NAME);
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return false;
  await mkdir(confDir, { recursive: true });
  if (o.ipamDataDir) await mkdir(o.ipamDataDir, { recursive: true });
  // A dot-name so libcni never loads the half-written file (it reads *.conf, *.conflist, *.json).
  const tmp = path.join(confDir, `.${CONFLIST_NAME}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, file);
  return true;
}
