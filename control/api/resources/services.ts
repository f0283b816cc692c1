// Services: defaulting (type, protocol, targetPort), validation, and ClusterIP (10.96.0.0/12)
// and NodePort (30000-32767) allocation. Each value is reserved under its own store key
// (service-allocator.ts), so it is never handed out twice, across API servers and restarts.
import type { Obj, ResourceDef, WriteContext } from '../resource-def.js';
import { validateObjectMeta } from '../validation.js';
import { alreadyExists, fieldInvalid, fieldRequired, StatusError } from '../status.js';
import { age, ageCol, col } from '../table.js';
import { ensureMigrated, ipsPrefix, ownerOf, portsPrefix, release, reserve, reserveAny } from './service-allocator.js';

export const serviceCIDR = { base: ipToInt('10.96.0.0'), size: 1 << 20 }; // 10.96.0.0/12

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
export const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

const inRange = (ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip) && ipToInt(ip) - serviceCIDR.base > 0 && ipToInt(ip) - serviceCIDR.base < serviceCIDR.size - 1;

async function allocateClusterIP(ctx: WriteContext, obj: Obj, requested: string | undefined): Promise<string> {
  await ensureMigrated(ctx.store);
  if (requested) {
    const holder = await reserve(ctx.store.backend, ipsPrefix + requested, ownerOf(obj));
    // The same name being created concurrently (two API servers' bootstraps): one create wins.
    if (holder && holder.namespace === obj.metadata.namespace && holder.name === obj.metadata.name) throw alreadyExists('services', '', obj.metadata.name);
    if (holder) {
      throw new StatusError(422, 'Invalid', `Service "${obj.metadata.name}" is invalid: spec.clusterIPs: Invalid value: []string{"${requested}"}: failed to allocate IP ${requested}: provided IP is already allocated`);
    }
    return requested;
  }
  const span = serviceCIDR.size - 2; // neither the network nor the broadcast address
  const ip = await reserveAny(ctx.store.backend, ipsPrefix, span, (i) => intToIp(serviceCIDR.base + 1 + i),
    (ip) => ip.endsWith('.0') || ip === '10.96.0.10', ownerOf(obj));
  if (!ip) throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
  return ip;
}

export const nodePortRange = { min: 30000, max: 32767 };

/** Gives every port of a NodePort/LoadBalancer Service a node port no other Service holds. */
async function allocateNodePorts(obj: Obj, ctx: WriteContext): Promise<void> {
  const spec = obj.spec;
  const ports = (spec.ports ?? []) as Obj[];
  if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') {
    for (const p of ports) delete p.nodePort;
    return;
  }
  await ensureMigrated(ctx.store);
  const owner = ownerOf(obj);
  const mine = new Set<number>();
  // Keep the ports this Service already had (an apply that leaves nodePort out).
  const before = new Map(((ctx.old?.spec?.ports ?? []) as Obj[]).map((p) => [`${p.port}/${p.protocol}`, p.nodePort]));
  for (const [i, p] of ports.entries()) {
    p.nodePort ??= before.get(`${p.port}/${p.protocol}`);
    if (p.nodePort === undefined) continue;
    if (!Number.isInteger(p.nodePort) || p.nodePort < nodePortRange.min || p.nodePort > nodePortRange.max) {
      throw new StatusError(422, 'Invalid', `Service "${obj.metadata.name}" is invalid: spec.ports[${i}].nodePort: Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is 30000-32767`);
    }
    if (mine.has(p.nodePort) || (await reserve(ctx.store.backend, portsPrefix + p.nodePort, owner))) {
      throw new StatusError(422, 'Invalid', `Service "${obj.metadata.name}" is invalid: spec.ports[${i}].nodePort: Invalid value: ${p.nodePort}: provided port is already allocated`);
    }
    mine.add(p.nodePort);
  }
  const span = nodePortRange.max - nodePortRange.min + 1;
  for (const p of ports) {
    if (p.nodePort !== undefined) continue;
    const port = await reserveAny(ctx.store.backend, portsPrefix, span, (i) => String(nodePortRange.min + i), (v) => mine.has(Number(v)), owner);
    if (port === undefined) throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
    p.nodePort = Number(port);
    mine.add(p.nodePort);
  }
  spec.externalTrafficPolicy ??= 'Cluster';
}

export const services: ResourceDef = {
  group: '', version: 'v1', resource: 'services', kind: 'Service', singular: 'service', namespaced: true,
  shortNames: ['svc'], categories: ['all'], dnsLabelNames: true, statusSubresource: true, subresources: ['status'],
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    spec.internalTrafficPolicy ??= 'Cluster';
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    for (const p of (spec.ports ?? []) as Obj[]) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  },
  validate(obj, old) {
    const causes = validateObjectMeta(obj.metadata, true);
    const spec = obj.spec ?? {};
    if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(spec.type)) {
      causes.push({ reason: 'FieldValueNotSupported', field: 'spec.type', message: `Unsupported value: "${spec.type}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"` });
    }
    const ports = spec.ports ?? [];
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && ports.length === 0) causes.push(fieldRequired('spec.ports'));
    ports.forEach((p: Obj, i: number) => {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) causes.push(fieldInvalid(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
      if (ports.length > 1 && !p.name) causes.push(fieldRequired(`spec.ports[${i}].name`));
    });
    if (spec.clusterIP && spec.clusterIP !== 'None' && !old && !inRange(spec.clusterIP)) {
      causes.push(fieldInvalid('spec.clusterIPs[0]', spec.clusterIP, 'provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12'));
    }
    if (old && old.spec?.clusterIP && spec.clusterIP !== old.spec.clusterIP) causes.push(fieldInvalid('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set'));
    return causes;
  },
  async beforeCreate(obj, ctx) {
    const spec = obj.spec;
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') spec.clusterIP = await allocateClusterIP(ctx, obj, spec.clusterIP);
    if (spec.clusterIP) spec.clusterIPs = [spec.clusterIP];
    await allocateNodePorts(obj, ctx);
    obj.status = { loadBalancer: {} };
  },
  async beforeUpdate(obj, ctx) {
    // clusterIP is kept when an update (kubectl apply) leaves it out.
    if (!obj.spec.clusterIP && ctx.old?.spec?.clusterIP) {
      obj.spec.clusterIP = ctx.old.spec.clusterIP;
      obj.spec.clusterIPs = ctx.old.spec.clusterIPs;
    }
    await allocateNodePorts(obj, ctx);
  },
  release: (obj, ctx) => release(ctx.store, obj),
  table: {
    columns: [col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), ageCol, col('Selector', 1)],
    cells(s) {
      const ports = (s.spec?.ports ?? []).map((p: Obj) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
      const ext = (s.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip ?? i.hostname).join(',') || (s.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>');
      const sel = Object.entries(s.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
      return [s.spec?.type, s.spec?.clusterIP ?? '<none>', ext, ports || '<none>', age(s.metadata?.creationTimestamp), sel];
    },
  },
};
