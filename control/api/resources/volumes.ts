// Core v1 PersistentVolumes (cluster-scoped) and PersistentVolumeClaims: upstream's defaults
// (Retain, Filesystem, phase Pending), validation (capacity, access modes, one volume source;
// a claim's spec is immutable but for growing resources.requests), the in-use protection
// finalizers, and kubectl's columns.
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta, validateLabels } from '../validation.js';
import { fieldForbidden, fieldInvalid } from '../status.js';
import { age, ageCol, col } from '../table.js';
import { parseQuantity } from '../../client/quantity.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
/** PersistentVolumeSource's members: exactly one is set. */
export const PV_SOURCES = ['awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'fc', 'flexVolume', 'flocker',
  'gcePersistentDisk', 'glusterfs', 'hostPath', 'iscsi', 'local', 'nfs', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd',
  'scaleIO', 'storageos', 'vsphereVolume'];

const required = (field: string, detail = ''): StatusCause => ({ reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' });
const notSupported = (field: string, value: unknown, supported: string[]): StatusCause =>
  ({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}` });

function validateEnum(v: unknown, field: string, supported: string[]): StatusCause[] {
  return v === undefined || supported.includes(v as string) ? [] : [notSupported(field, v, supported)];
}

function validateAccessModes(modes: unknown, field: string, detail = ''): StatusCause[] {
  if (!Array.isArray(modes) || modes.length === 0) return [required(field, detail)];
  const causes = modes.flatMap((m, i) => validateEnum(m, `${field}[${i}]`, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) causes.push(fieldForbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return causes;
}

/** A map with exactly the key storage, holding a positive quantity. */
function validateStorage(map: unknown, field: string): StatusCause[] {
  const m = (map ?? {}) as Obj;
  if (typeof m !== 'object' || Array.isArray(m) || m.storage === undefined) return [required(`${field}[storage]`)];
  const causes = Object.keys(m).filter((k) => k !== 'storage').map((k) => notSupported(`${field}[${k}]`, k, ['storage']));
  let q: number;
  try { q = parseQuantity(m.storage); } catch { return [...causes, fieldInvalid(`${field}[storage]`, m.storage, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]; }
  if (q <= 0) causes.push(fieldInvalid(`${field}[storage]`, m.storage, 'must be greater than zero'));
  return causes;
}

export const storageOf = (map: Obj | undefined): number => { try { return parseQuantity(map?.storage); } catch { return 0; } };

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const sourceOf = (spec: Obj) => Object.fromEntries(PV_SOURCES.filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]]));

function validatePV(o: Obj, old?: Obj): StatusCause[] {
  const spec = (o.spec ?? {}) as Obj;
  const causes = [...validateObjectMeta(o.metadata, false)];
  causes.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  causes.push(...validateStorage(spec.capacity, 'spec.capacity'));
  causes.push(...validateEnum(spec.persistentVolumeReclaimPolicy, 'spec.persistentVolumeReclaimPolicy', RECLAIM_POLICIES));
  causes.push(...validateEnum(spec.volumeMode, 'spec.volumeMode', VOLUME_MODES));
  const sources = PV_SOURCES.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (sources.length === 0) causes.push(required('spec', 'must specify a volume type'));
  if (sources.length > 1) causes.push(fieldForbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  for (const k of ['hostPath', 'local'] as const) {
    if (spec[k] && (typeof spec[k].path !== 'string' || !spec[k].path)) causes.push(required(`spec.${k}.path`));
    else if (spec[k] && !spec[k].path.startsWith('/') && k === 'hostPath') causes.push(fieldInvalid(`spec.${k}.path`, spec[k].path, 'must be an absolute path'));
  }
  if (spec.local && !spec.nodeAffinity) causes.push(required('spec.nodeAffinity', 'Local volumes require node affinity'));
  if (spec.nodeAffinity && !spec.nodeAffinity.required?.nodeSelectorTerms?.length) causes.push(required('spec.nodeAffinity.required.nodeSelectorTerms', 'must have at least one node selector term'));
  if (old) {
    if (!same(sourceOf(spec), sourceOf(old.spec ?? {}))) causes.push(fieldForbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    if (!same(spec.volumeMode, old.spec?.volumeMode)) causes.push(fieldInvalid('spec.volumeMode', spec.volumeMode, 'field is immutable'));
    if (old.spec?.nodeAffinity && !same(spec.nodeAffinity, old.spec.nodeAffinity)) causes.push(fieldInvalid('spec.nodeAffinity', spec.nodeAffinity, 'field is immutable'));
  }
  return causes;
}

function validatePVC(o: Obj, old?: Obj): StatusCause[] {
  const spec = (o.spec ?? {}) as Obj;
  const causes = [...validateObjectMeta(o.metadata, false)];
  causes.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required'));
  causes.push(...validateStorage(spec.resources?.requests, 'spec.resources.requests'));
  causes.push(...validateEnum(spec.volumeMode, 'spec.volumeMode', VOLUME_MODES));
  if (spec.selector) causes.push(...validateLabels(spec.selector.matchLabels, 'spec.selector.matchLabels'));
  if (!old) return causes;
  // Immutable but for: resources.requests (growing, bound claims only), and volumeName set once (binding).
  const oldSpec = (old.spec ?? {}) as Obj;
  const strip = (s: Obj) => ({ ...s, resources: { ...s.resources, requests: undefined }, volumeName: oldSpec.volumeName ? s.volumeName : undefined });
  if (!same(strip(spec), strip(oldSpec))) {
    causes.push(fieldForbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const was = storageOf(oldSpec.resources?.requests), now = storageOf(spec.resources?.requests);
  if (now < was) causes.push(fieldForbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  else if (now > was && old.status?.phase !== 'Bound') causes.push(fieldForbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  return causes;
}

/** upstream helper.GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order. */
export function accessModesString(modes: string[] | undefined): string {
  const m = modes ?? [];
  return [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']]
    .filter(([full]) => m.includes(full!)).map(([, short]) => short).join(',');
}

/** The class a PV or PVC asks for: the beta annotation wins over spec.storageClassName (upstream helper). */
export const storageClassOf = (o: Obj): string => o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? o.spec?.storageClassName ?? '';

const phaseCell = (o: Obj) => (o.metadata?.deletionTimestamp ? 'Terminating' : o.status?.phase ?? '');
/** upstream's StorageObjectInUseProtection: the protection controllers remove these when safe. */
const protect = (o: Obj, finalizer: string) => {
  const f: string[] = o.metadata.finalizers ?? [];
  if (!f.includes(finalizer)) o.metadata.finalizers = [...f, finalizer];
};

export const persistentvolumes: ResourceDef = {
  group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', singular: 'persistentvolume', namespaced: false,
  shortNames: ['pv'], statusSubresource: true, subresources: ['status'],
  defaults(o) {
    const spec = (o.spec ??= {});
    spec.persistentVolumeReclaimPolicy ??= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    if (spec.hostPath) spec.hostPath.type ??= '';
  },
  validate: validatePV,
  beforeCreate(o) {
    o.status = { phase: 'Pending', lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    protect(o, 'kubernetes.io/pv-protection');
  },
  table: {
    columns: [col('Capacity'), col('Access Modes'), col('Reclaim Policy'), col('Status'), col('Claim'), col('StorageClass'), col('VolumeAttributesClass'), col('Reason'), ageCol, col('VolumeMode', 1)],
    cells(o) {
      const ref = o.spec?.claimRef;
      return [o.spec?.capacity?.storage ?? '', accessModesString(o.spec?.accessModes), o.spec?.persistentVolumeReclaimPolicy ?? '', phaseCell(o),
        ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '', storageClassOf(o), o.spec?.volumeAttributesClassName ?? '<unset>', o.status?.reason ?? '',
        age(o.metadata?.creationTimestamp), o.spec?.volumeMode ?? '<unset>'];
    },
  },
};

export const persistentvolumeclaims: ResourceDef = {
  group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', singular: 'persistentvolumeclaim', namespaced: true,
  shortNames: ['pvc'], statusSubresource: true, subresources: ['status'],
  defaults(o) { (o.spec ??= {}).volumeMode ??= 'Filesystem'; },
  validate: validatePVC,
  beforeCreate(o) {
    o.status = { phase: 'Pending' };
    protect(o, 'kubernetes.io/pvc-protection');
  },
  table: {
    columns: [col('Status'), col('Volume'), col('Capacity'), col('Access Modes'), col('StorageClass'), col('VolumeAttributesClass'), ageCol, col('VolumeMode', 1)],
    cells(o) {
      const bound = !!o.spec?.volumeName;
      return [phaseCell(o), o.spec?.volumeName ?? '', bound ? o.status?.capacity?.storage ?? '' : '', bound ? accessModesString(o.status?.accessModes) : '',
        storageClassOf(o), o.spec?.volumeAttributesClassName ?? '<unset>', age(o.metadata?.creationTimestamp), o.spec?.volumeMode ?? '<unset>'];
    },
  },
};
