// storage.k8s.io/v1 StorageClasses (cluster-scoped, shortName sc): defaults (reclaimPolicy
// Delete, volumeBindingMode Immediate), validation with upstream's immutability messages, and
// kubectl's columns with "(default)" after the default class's name.
import type { ResourceDef } from '../resource-def.js';
import { validateObjectMeta } from '../validation.js';
import { fieldForbidden, fieldInvalid, fieldRequired } from '../status.js';
import { age, ageCol, col } from '../table.js';

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

const notSupported = (field: string, v: unknown, supported: string[]) =>
  ({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}` });

export const storageclasses: ResourceDef = {
  group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', singular: 'storageclass', namespaced: false,
  shortNames: ['sc'],
  defaults(o) {
    o.reclaimPolicy ??= 'Delete';
    o.volumeBindingMode ??= 'Immediate';
  },
  validate(o, old) {
    const causes = validateObjectMeta(o.metadata, false);
    if (typeof o.provisioner !== 'string' || !o.provisioner) causes.push(fieldRequired('provisioner'));
    if (!['Delete', 'Retain'].includes(o.reclaimPolicy)) causes.push(notSupported('reclaimPolicy', o.reclaimPolicy, ['Delete', 'Retain']));
    if (!['Immediate', 'WaitForFirstConsumer'].includes(o.volumeBindingMode)) causes.push(notSupported('volumeBindingMode', o.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
    if (old) {
      const same = (a: unknown, b: unknown) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
      if (!same(o.parameters, old.parameters)) causes.push(fieldForbidden('parameters', 'updates to parameters are forbidden.'));
      if (o.provisioner !== old.provisioner) causes.push(fieldForbidden('provisioner', 'updates to provisioner are forbidden.'));
      if (o.reclaimPolicy !== old.reclaimPolicy) causes.push(fieldForbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
      if (o.volumeBindingMode !== old.volumeBindingMode) causes.push(fieldInvalid('volumeBindingMode', o.volumeBindingMode, 'field is immutable'));
    }
    return causes;
  },
  table: {
    name: (o) => (o.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' ? `${o.metadata.name} (default)` : o.metadata?.name),
    columns: [col('Provisioner'), col('ReclaimPolicy'), col('VolumeBindingMode'), col('AllowVolumeExpansion'), ageCol],
    cells: (o) => [o.provisioner, o.reclaimPolicy ?? 'Delete', o.volumeBindingMode ?? 'Immediate', o.allowVolumeExpansion ?? false, age(o.metadata?.creationTimestamp)],
  },
};
