// Per-service and per-endpoint chain names, computed exactly as upstream kube-proxy does:
// prefix + the first 16 characters of base32(sha256(servicePortName + protocol [+ endpoint])),
// so names stay ≤ 28 characters (the iptables limit) and match a real cluster's.
import { createHash } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 of the first 10 bytes (= 16 characters, no padding needed). */
function base32First16(buf: Buffer): string {
  let out = '';
  for (let i = 0; i < 10; i += 5) {
    // 5 bytes → 40 bits → 8 characters
    const hi = (buf[i] << 12) | (buf[i + 1] << 4) | (buf[i + 2] >> 4); // 20 bits
    const lo = ((buf[i + 2] & 0x0f) << 16) | (buf[i + 3] << 8) | buf[i + 4]; // 20 bits
    for (const v of [hi, lo]) for (let s = 15; s >= 0; s -= 5) out += B32[(v >> s) & 31];
  }
  return out;
}

const cache = new Map<string, string>();

function hash16(input: string): string {
  let h = cache.get(input);
  if (h === undefined) {
    h = base32First16(createHash('sha256').update(input).digest());
    if (cache.size > 200_000) cache.clear();
    cache.set(input, h);
  }
  return h;
}

/** KUBE-SVC-… for "ns/name:port" and protocol "TCP"/"UDP". */
export function serviceChainName(spName: string, protocol: string): string {
  return 'KUBE-SVC-' + hash16(spName + protocol.toLowerCase());
}

/** KUBE-SEP-… for one endpoint "ip:port" of a service port. */
export function endpointChainName(spName: string, protocol: string, endpoint: string): string {
  return 'KUBE-SEP-' + hash16(spName + protocol.toLowerCase() + endpoint);
}

/** KUBE-EXT-… for a service port's external (NodePort) traffic; same hash as its KUBE-SVC-. */
export function externalChainName(spName: string, protocol: string): string {
  return 'KUBE-EXT-' + hash16(spName + protocol.toLowerCase());
}
