// persistentVolumeClaim volumes on the kubelet: the claim must be Bound, and its PersistentVolume
// (hostPath or local) gives the host directory the containers bind-mount. Errors read as the
// upstream volume manager's ("error processing PVC ns/x: PVC ns/x has non-bound phase …").
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { R, type ResourceRef } from '../../../control/client/resources.js';

/** Fetch one object, undefined when it does not exist (the kubelet's TTL cache). */
export type Getter = <T>(r: ResourceRef, ns: string | undefined, name: string) => Promise<T | undefined>;

/** Claim name → its bound PersistentVolume, or why it cannot be mounted (yet). */
export type ClaimVolumes = Map<string, PersistentVolume | Error>;

export async function resolveClaims(pod: Pod, get: Getter): Promise<ClaimVolumes> {
  const ns = pod.metadata?.namespace ?? 'default';
  const out: ClaimVolumes = new Map();
  const names = new Set((pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : [])));
  await Promise.all([...names].map(async (name) => out.set(name, await resolveOne(ns, name, get).catch((err: Error) => err))));
  return out;
}

async function resolveOne(ns: string, name: string, get: Getter): Promise<PersistentVolume | Error> {
  const fail = (why: string) => new Error(`error processing PVC ${ns}/${name}: ${why}`);
  const pvc = await get<PersistentVolumeClaim>(R.persistentvolumeclaims, ns, name);
  if (!pvc) return fail(`failed to fetch PVC from API server: persistentvolumeclaims "${name}" not found`);
  if (pvc.metadata?.deletionTimestamp) return fail(`can't start pod because PVC ${ns}/${name} is being deleted`);
  const volumeName = pvc.spec?.volumeName ?? '';
  if (pvc.status?.phase !== 'Bound' || !volumeName) {
    return fail(`PVC ${ns}/${name} has non-bound phase (${JSON.stringify(pvc.status?.phase ?? '')}) or empty pvc.Spec.VolumeName (${JSON.stringify(volumeName)})`);
  }
  const pv = await get<PersistentVolume>(R.persistentvolumes, undefined, volumeName);
  if (!pv) return fail(`failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found`);
  const ref = pv.spec?.claimRef;
  if (ref?.uid && ref.uid !== pvc.metadata?.uid) return fail(`the PV ${volumeName} is bound to another claim (${ref.namespace}/${ref.name})`);
  return pv;
}

/** The host directory a bound volume's data lives in; throws for sources this kubelet cannot mount. */
export function hostDirOf(pv: PersistentVolume): { path: string; type: string; local: boolean } {
  if (pv.spec?.volumeMode === 'Block') throw new Error(`PersistentVolume "${pv.metadata?.name}": volumeMode Block is not supported (only Filesystem)`);
  if (pv.spec?.hostPath) return { path: pv.spec.hostPath.path, type: pv.spec.hostPath.type ?? '', local: false };
  if (pv.spec?.local) return { path: pv.spec.local.path, type: 'Directory', local: true };
  throw new Error(`PersistentVolume "${pv.metadata?.name}": unsupported volume source (supported: hostPath, local)`);
}
