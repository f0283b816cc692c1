// The other workload kinds: apps/v1 DaemonSets and StatefulSets, batch/v1 Jobs — their
// defaults as upstream, validation, and the columns kubectl shows.
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta, validateLabels } from '../validation.js';
import { fieldInvalid, fieldRequired } from '../status.js';
import { labelSelectorMatcher } from '../selectors.js';
import { age, ageCol, col, humanDuration } from '../table.js';
import { defaultPodSpec, validatePodSpec } from './pods.js';
import { randomUUID } from 'node:crypto';

function validateTemplate(o: Obj, old: Obj | undefined, needSelector = true) {
  const spec = o.spec ?? {};
  const causes = validateObjectMeta(o.metadata, false);
  if (needSelector && !spec.selector) causes.push(fieldRequired('spec.selector'));
  const labels = spec.template?.metadata?.labels;
  causes.push(...validateLabels(labels, 'spec.template.metadata.labels'));
  if (spec.selector && !labelSelectorMatcher(spec.selector)(labels)) causes.push(fieldInvalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  causes.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec'));
  if (old && JSON.stringify(old.spec?.selector) !== JSON.stringify(spec.selector)) causes.push(fieldInvalid('spec.selector', spec.selector, 'field is immutable'));
  return causes;
}

const selectorCell = (o: Obj) => Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
const containersCell = (o: Obj) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.name).join(',');
const imagesCell = (o: Obj) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.image).join(',');

export const daemonsets: ResourceDef = {
  group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', singular: 'daemonset', namespaced: true,
  shortNames: ['ds'], categories: ['all'], statusSubresource: true, subresources: ['status'],
  defaults(o) {
    const spec = (o.spec ??= {});
    spec.updateStrategy ??= { type: 'RollingUpdate' };
    if (spec.updateStrategy.type === 'RollingUpdate') spec.updateStrategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 0, ...spec.updateStrategy.rollingUpdate };
    spec.revisionHistoryLimit ??= 10;
    defaultPodSpec(spec.template?.spec);
  },
  validate: (o, old) => validateTemplate(o, old),
  table: {
    columns: [col('Desired', 0, 'integer'), col('Current', 0, 'integer'), col('Ready', 0, 'integer'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), col('Node Selector'), ageCol, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells: (o) => {
      const s = o.status ?? {};
      const ns = Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
      return [s.desiredNumberScheduled ?? 0, s.currentNumberScheduled ?? 0, s.numberReady ?? 0, s.updatedNumberScheduled ?? 0, s.numberAvailable ?? 0, ns, age(o.metadata?.creationTimestamp), containersCell(o), imagesCell(o), selectorCell(o)];
    },
  },
};

export const statefulsets: ResourceDef = {
  group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', singular: 'statefulset', namespaced: true,
  shortNames: ['sts'], categories: ['all'], statusSubresource: true, subresources: ['status', 'scale'],
  defaults(o) {
    const spec = (o.spec ??= {});
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= 'OrderedReady';
    spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    spec.revisionHistoryLimit ??= 10;
    spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
    defaultPodSpec(spec.template?.spec);
  },
  validate: (o, old) => validateTemplate(o, old),
  table: {
    columns: [col('Ready'), ageCol, col('Containers', 1), col('Images', 1)],
    cells: (o) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, age(o.metadata?.creationTimestamp), containersCell(o), imagesCell(o)],
  },
};

export const jobs: ResourceDef = {
  group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', singular: 'job', namespaced: true,
  categories: ['all'], statusSubresource: true, subresources: ['status'],
  defaults(o) {
    const spec = (o.spec ??= {});
    spec.parallelism ??= 1;
    spec.completions ??= spec.completionMode === 'Indexed' ? spec.parallelism : 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    defaultPodSpec(spec.template?.spec);
  },
  validate(o, old) {
    const causes = validateTemplate(o, old, false);
    const rp = o.spec?.template?.spec?.restartPolicy;
    if (rp !== 'Never' && rp !== 'OnFailure') causes.push({ reason: 'FieldValueNotSupported', field: 'spec.template.spec.restartPolicy', message: `Unsupported value: "${rp}": supported values: "OnFailure", "Never"` });
    return causes;
  },
  beforeCreate(o) {
    // Upstream gives each Job its own selector on a controller-uid label, unless manualSelector.
    if (!o.spec.manualSelector) {
      const uid = o.metadata.uid ?? randomUUID();
      o.metadata.uid = uid;
      const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': o.metadata.name, 'controller-uid': uid, 'job-name': o.metadata.name };
      o.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      o.spec.template.metadata = { ...o.spec.template.metadata, labels: { ...o.spec.template.metadata?.labels, ...labels } };
    }
    o.status = {};
  },
  table: {
    columns: [col('Status'), col('Completions'), col('Duration'), ageCol, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells(o) {
      const s = o.status ?? {};
      const conds = (s.conditions ?? []).filter((c: Obj) => c.status === 'True').map((c: Obj) => c.type);
      const status = conds.includes('Complete') ? 'Complete' : conds.includes('Failed') ? 'Failed' : o.spec?.suspend ? 'Suspended' : 'Running';
      const dur = s.startTime ? humanDuration((s.completionTime ? Date.parse(s.completionTime) : Date.now()) - Date.parse(s.startTime)) : '';
      return [status, `${s.succeeded ?? 0}/${o.spec?.completions ?? 1}`, dur, age(o.metadata?.creationTimestamp), containersCell(o), imagesCell(o), selectorCell(o)];
    },
  },
};

export const endpointslices: ResourceDef = {
  group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', singular: 'endpointslice', namespaced: true,
  validate(o) {
    const causes = validateObjectMeta(o.metadata, false);
    if (!['IPv4', 'IPv6', 'FQDN'].includes(o.addressType)) causes.push({ reason: 'FieldValueNotSupported', field: 'addressType', message: `Unsupported value: "${o.addressType}": supported values: "FQDN", "IPv4", "IPv6"` });
    (o.endpoints ?? []).forEach((e: Obj, i: number) => { if (!Array.isArray(e?.addresses) || e.addresses.length === 0) causes.push(fieldRequired(`endpoints[${i}].addresses`)); });
    return causes;
  },
  table: {
    columns: [col('AddressType'), col('Ports'), col('Endpoints'), ageCol],
    cells(o) {
      const ports = (o.ports ?? []).map((p: Obj) => p.port).join(',') || '<unset>';
      const addrs = (o.endpoints ?? []).flatMap((e: Obj) => e.addresses ?? []);
      const shown = addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',') || '<unset>';
      return [o.addressType, ports, shown, age(o.metadata?.creationTimestamp)];
    },
  },
};
