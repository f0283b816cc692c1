// apps/v1 Deployments and ReplicaSets: defaults (replicas, strategy, revision history),
// selector validation (it must match the template's labels), a scale subresource, and the
// READY / UP-TO-DATE / AVAILABLE columns.
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta, validateLabels } from '../validation.js';
import { fieldInvalid, fieldRequired } from '../status.js';
import { labelSelectorMatcher } from '../selectors.js';
import { age, ageCol, col } from '../table.js';
import { defaultPodSpec, validatePodSpec } from './pods.js';

function validateWorkload(obj: Obj, old: Obj | undefined): StatusCause[] {
  const spec = obj.spec ?? {};
  const causes = validateObjectMeta(obj.metadata, false);
  if (!spec.selector || (!spec.selector.matchLabels && !spec.selector.matchExpressions)) causes.push(fieldRequired('spec.selector'));
  const labels = spec.template?.metadata?.labels;
  causes.push(...validateLabels(labels, 'spec.template.metadata.labels'));
  if (spec.selector && !labelSelectorMatcher(spec.selector)(labels)) {
    causes.push(fieldInvalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  }
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) causes.push(fieldInvalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  causes.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec'));
  if (old && JSON.stringify(old.spec?.selector) !== JSON.stringify(spec.selector)) causes.push(fieldInvalid('spec.selector', spec.selector, 'field is immutable'));
  return causes;
}

const containersCell = (o: Obj) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.name).join(',');
const imagesCell = (o: Obj) => (o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.image).join(',');
const selectorCell = (o: Obj) => Object.entries(o.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');

export const deployments: ResourceDef = {
  group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', namespaced: true,
  shortNames: ['deploy'], categories: ['all'], statusSubresource: true, subresources: ['status', 'scale'],
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.replicas ??= 1;
    spec.strategy ??= { type: 'RollingUpdate' };
    if (spec.strategy.type === 'RollingUpdate') spec.strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...spec.strategy.rollingUpdate };
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultPodSpec(spec.template?.spec);
  },
  validate: validateWorkload,
  table: {
    columns: [col('Ready'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), ageCol, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells: (d) => [`${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0,
      age(d.metadata?.creationTimestamp), containersCell(d), imagesCell(d), selectorCell(d)],
  },
};

export const replicasets: ResourceDef = {
  group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', singular: 'replicaset', namespaced: true,
  shortNames: ['rs'], categories: ['all'], statusSubresource: true, subresources: ['status', 'scale'],
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.replicas ??= 1;
    defaultPodSpec(spec.template?.spec);
  },
  validate: validateWorkload,
  table: {
    columns: [col('Desired', 0, 'integer'), col('Current', 0, 'integer'), col('Ready', 0, 'integer'), ageCol, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells: (r) => [r.spec?.replicas ?? 0, r.status?.replicas ?? 0, r.status?.readyReplicas ?? 0, age(r.metadata?.creationTimestamp), containersCell(r), imagesCell(r), selectorCell(r)],
  },
};

/** The autoscaling/v1 Scale view of a deployment or replica set. */
export function toScale(obj: Obj): Obj {
  const sel = Object.entries(obj.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: sel },
  };
}
