// Cluster DNS answers, pure (the Kubernetes DNS spec, as CoreDNS' kubernetes plugin serves it):
// <svc>.<ns>.svc.<zone> → ClusterIP, or one A per ready endpoint for headless Services;
// <hostname>.<svc>.<ns>.svc.<zone> for endpoints with a hostname; SRV _<port>._<proto>.<svc>…;
// PTR for ClusterIPs and hostnamed endpoints; <a-b-c-d>.<ns>.pod.<zone>; CNAME for ExternalName.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { RCODE, TYPE, type Question, type ResourceRecord, type Response } from './codec.js';

export interface DnsData {
  service(namespace: string, name: string): Service | undefined;
  slices(namespace: string, name: string): EndpointSlice[];
  services(): Iterable<Service>;
  namespaceExists?(namespace: string): boolean;
}

export const TTL = 5;
const SERIAL = Math.floor(Date.now() / 1000);

interface Ep { ip: string; hostname?: string; ports: Array<{ name: string; protocol: string; port: number }> }

const isHeadless = (s: Service) => s.spec?.clusterIP === 'None';
const dashed = (ip: string) => ip.replace(/\./g, '-');

/** Ready endpoints of a Service across its slices, de-duplicated by IP. */
function readyEndpoints(data: DnsData, ns: string, name: string): Ep[] {
  const out = new Map<string, Ep>();
  for (const sl of data.slices(ns, name)) {
    if (sl.addressType && sl.addressType !== 'IPv4') continue;
    for (const e of sl.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip || e.conditions?.ready === false || out.has(ip)) continue;
      out.set(ip, { ip, hostname: e.hostname, ports: (sl.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port ?? 0 })) });
    }
  }
  return [...out.values()];
}

export function soa(zone: string): ResourceRecord {
  return { name: zone, ttl: TTL, type: TYPE.SOA, mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: SERIAL, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL };
}

/** Answers one question. Names outside the zone get NXDOMAIN at once (no upstream here). */
export function resolve(q: Question, data: DnsData, zone = 'cluster.local'): Response {
  const name = q.name.replace(/\.$/, '').toLowerCase();
  const nx = (): Response => ({ rcode: RCODE.NXDOMAIN, authoritative: true, answers: [], authority: [soa(zone)] });
  const nodata = (): Response => ({ rcode: RCODE.NOERROR, authoritative: true, answers: [], authority: [soa(zone)] });
  const ok = (answers: ResourceRecord[]): Response => (answers.length ? { rcode: RCODE.NOERROR, authoritative: true, answers, authority: [] } : nodata());

  if (name.endsWith('.in-addr.arpa')) return reverse(name, q.type, data, zone);
  if (name !== zone && !name.endsWith(`.${zone}`)) return { rcode: RCODE.NXDOMAIN, authoritative: false, answers: [], authority: [] };
  const labels = name === zone ? [] : name.slice(0, -(zone.length + 1)).split('.');
  const wantA = q.type === TYPE.A || q.type === TYPE.ANY;
  const a = (n: string, ip: string): ResourceRecord => ({ name: n, ttl: TTL, type: TYPE.A, address: ip });

  // zone, svc.zone, <ns>.svc.zone, pod.zone, <ns>.pod.zone: existing inner nodes.
  const kind = labels[labels.length - 1];
  if (labels.length === 0 || (labels.length === 1 && (kind === 'svc' || kind === 'pod'))) return nodata();
  if (kind === 'pod') {
    if (labels.length === 2) return nodata();
    if (labels.length !== 3) return nx();
    const ip = labels[0].replace(/-/g, '.');
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return nx();
    return wantA ? ok([a(name, ip)]) : nodata();
  }
  if (kind !== 'svc') return nx();
  const ns = labels[labels.length - 2];
  if (labels.length === 2) return data.namespaceExists?.(ns) === false ? nx() : nodata();
  const svcName = labels[labels.length - 3];
  const svc = data.service(ns, svcName);
  if (!svc) return nx();
  const self = `${svcName}.${ns}.svc.${zone}`;

  if (labels.length === 3) {
    if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
      return ok([{ name, ttl: TTL, type: TYPE.CNAME, target: svc.spec.externalName.replace(/\.$/, '') }]);
    }
    if (!wantA) return nodata();
    if (!isHeadless(svc)) return svc.spec?.clusterIP ? ok([a(name, svc.spec.clusterIP)]) : nodata();
    return ok(readyEndpoints(data, ns, svcName).map((e) => a(name, e.ip)));
  }
  if (labels.length === 4) {
    // <hostname>.<svc>.<ns>.svc.zone, or <a-b-c-d>.<svc>… for an endpoint without hostname.
    const host = labels[0];
    const ep = readyEndpoints(data, ns, svcName).find((e) => e.hostname === host || (!e.hostname && dashed(e.ip) === host));
    if (!ep) return nx();
    return wantA ? ok([a(name, ep.ip)]) : nodata();
  }
  if (labels.length === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) {
    const portName = labels[0].slice(1), proto = labels[1].slice(1).toUpperCase();
    const sp = (svc.spec?.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === proto);
    if (!sp) return nx();
    if (q.type !== TYPE.SRV && q.type !== TYPE.ANY) return nodata();
    if (!isHeadless(svc)) return ok([{ name, ttl: TTL, type: TYPE.SRV, priority: 0, weight: 100, port: sp.port, target: self }]);
    const eps = readyEndpoints(data, ns, svcName);
    const weight = Math.max(1, Math.floor(100 / Math.max(1, eps.length)));
    return ok(eps.flatMap((e) => {
      const p = e.ports.find((x) => x.name === portName && x.protocol === proto);
      return p ? [{ name, ttl: TTL, type: TYPE.SRV, priority: 0, weight, port: p.port, target: `${e.hostname ?? dashed(e.ip)}.${self}` } as ResourceRecord] : [];
    }));
  }
  return nx();
}

/** PTR: d.c.b.a.in-addr.arpa → the Service holding that ClusterIP, or a hostnamed endpoint. */
function reverse(name: string, type: number, data: DnsData, zone: string): Response {
  const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
  const none: Response = { rcode: RCODE.NXDOMAIN, authoritative: false, answers: [], authority: [] };
  if (parts.length !== 4) return none;
  const ip = parts.reverse().join('.');
  const targets: string[] = [];
  for (const s of data.services()) {
    const ns = s.metadata?.namespace ?? 'default', svc = s.metadata?.name ?? '';
    if (s.spec?.clusterIP === ip) targets.push(`${svc}.${ns}.svc.${zone}`);
    else if (isHeadless(s)) {
      for (const e of readyEndpoints(data, ns, svc)) if (e.ip === ip && e.hostname) targets.push(`${e.hostname}.${svc}.${ns}.svc.${zone}`);
    }
  }
  if (targets.length === 0) return none;
  if (type !== TYPE.PTR && type !== TYPE.ANY) return { rcode: RCODE.NOERROR, authoritative: true, answers: [], authority: [] };
  return { rcode: RCODE.NOERROR, authoritative: true, answers: targets.map((t) => ({ name, ttl: TTL, type: TYPE.PTR, target: t })), authority: [] };
}
