// The smaller core resources: namespaces, nodes, endpoints, events, and
// coordination.k8s.io leases (the kubelet's heartbeat), with their table columns.
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta } from '../validation.js';
import { age, ageCol, col } from '../table.js';

export const namespaces: ResourceDef = {
  group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', singular: 'namespace', namespaced: false,
  shortNames: ['ns'], dnsLabelNames: true, statusSubresource: true, subresources: ['status', 'finalize'],
  defaults(obj) { obj.spec ??= { finalizers: ['kubernetes'] }; },
  beforeCreate(obj) {
    obj.status = { phase: 'Active' };
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  },
  validate: (obj) => validateObjectMeta(obj.metadata, true),
  table: { columns: [col('Status'), ageCol], cells: (n) => [n.status?.phase ?? 'Active', age(n.metadata?.creationTimestamp)] },
};

export const nodes: ResourceDef = {
  group: '', version: 'v1', resource: 'nodes', kind: 'Node', singular: 'node', namespaced: false,
  shortNames: ['no'], statusSubresource: true, subresources: ['status', 'proxy'],
  validate: (obj) => validateObjectMeta(obj.metadata, false),
  table: {
    columns: [col('Status'), col('Roles'), ageCol, col('Version'), col('Internal-IP', 1), col('External-IP', 1), col('OS-Image', 1), col('Kernel-Version', 1), col('Container-Runtime', 1)],
    cells(n) {
      const ready = (n.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
      // kubectl's printer: NotReady for False and Unknown; Unknown only with no Ready condition.
      let status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
      if (n.spec?.unschedulable) status += ',SchedulingDisabled';
      const roles = Object.keys(n.metadata?.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice(24)).join(',') || '<none>';
      const addr = (t: string) => (n.status?.addresses ?? []).find((a: Obj) => a.type === t)?.address ?? '<none>';
      const info = n.status?.nodeInfo ?? {};
      return [status, roles, age(n.metadata?.creationTimestamp), info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
    },
  },
};

export const endpoints: ResourceDef = {
  group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', namespaced: true,
  shortNames: ['ep'],
  validate: (obj) => validateObjectMeta(obj.metadata, false),
  table: {
    columns: [col('Endpoints'), ageCol],
    cells(e) {
      const all: string[] = [];
      for (const s of (e.subsets ?? []) as Obj[]) for (const a of s.addresses ?? []) for (const p of s.ports ?? [{}]) all.push(p.port ? `${a.ip}:${p.port}` : a.ip);
      const shown = all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
      return [shown || '<none>', age(e.metadata?.creationTimestamp)];
    },
  },
};

export const events: ResourceDef = {
  group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', namespaced: true,
  shortNames: ['ev'],
  defaults(obj) { obj.type ??= 'Normal'; obj.count ??= 1; },
  validate: (obj) => validateObjectMeta(obj.metadata, false),
  table: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: (e) => [age(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp), e.type, e.reason,
      `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name}`, e.message],
  },
};

export const leases: ResourceDef = {
  group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', singular: 'lease', namespaced: true,
  validate: (obj) => validateObjectMeta(obj.metadata, false),
  table: { columns: [col('Holder'), ageCol], cells: (l) => [l.spec?.holderIdentity ?? '', age(l.metadata?.creationTimestamp)] },
};
