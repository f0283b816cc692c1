// Host settings the pod network and Services need on every node, ensured idempotently:
// IPv4 forwarding, bridge netfilter (pod → Service → pod on one bridge), and a route covering
// the service CIDR when nothing else (e.g. a default route) does.
import type { Logger } from 'pino';
import { ensureSysctl, ip } from './ip.js';

export const SERVICE_CIDR = '10.96.0.0/12';

/** The interface holding addr, from `ip -j -4 addr`. */
async function interfaceOf(addr: string, prefix: string[]): Promise<string | undefined> {
  const links = JSON.parse(await ip(prefix, ['-j', '-4', 'addr', 'show'])) as Array<{ ifname: string; addr_info?: Array<{ local: string }> }>;
  return links.find((l) => l.addr_info?.some((a) => a.local === addr))?.ifname;
}

export async function ensureHostNetwork(nodeIp: string, log: Logger, prefix: string[] = [], serviceCIDR = SERVICE_CIDR): Promise<void> {
  if (!(await ensureSysctl('net.ipv4.ip_forward', '1', prefix))) log.warn('could not set net.ipv4.ip_forward=1');
  if (!(await ensureSysctl('net.bridge.bridge-nf-call-iptables', '1', prefix))) {
    log.warn('net.bridge.bridge-nf-call-iptables missing (br_netfilter not loaded?): pod → Service → pod on one node may fail');
  }
  const probe = serviceCIDR.split('/')[0].replace(/\d+$/, (d) => String(Number(d) + 1));
  const routed = await ip(prefix, ['route', 'get', probe]).then(() => true, () => false);
  if (routed) return;
  const dev = await interfaceOf(nodeIp, prefix);
  if (!dev) { log.warn({ nodeIp }, 'no interface holds the node IP; cannot add the service CIDR route'); return; }
  await ip(prefix, ['route', 'replace', serviceCIDR, 'dev', dev]);
  log.info({ serviceCIDR, dev }, 'added route for the service CIDR');
}
