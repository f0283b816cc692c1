// The matching rules of the PersistentVolume binder (upstream pkg/controller/volume/persistentvolume
// index.go and util.FindMatchingVolume): which Available volume a Pending claim gets — same
// storage class, a superset of its access modes, same volume mode, enough capacity, labels the
// claim's selector accepts — the smallest that fits; a volume pre-bound to the claim wins.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { matchesSelector } from '../../client/labels.js';
import { quantityOr0 } from '../../client/quantity.js';

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
const ANN_CLASS = 'volume.beta.kubernetes.io/storage-class';

type Obj = PersistentVolume | PersistentVolumeClaim;

/** The class asked for: the beta annotation wins over spec.storageClassName (upstream storagehelpers). */
export const storageClassOf = (o: Obj): string => o.metadata?.annotations?.[ANN_CLASS] ?? o.spec?.storageClassName ?? '';

export const capacityOf = (pv: PersistentVolume): number => quantityOr0(pv.spec?.capacity?.storage);
export const requestOf = (c: PersistentVolumeClaim): number => quantityOr0(c.spec?.resources?.requests?.storage);

/** The volume's claimRef names this claim (and, once it has one, its UID). */
export function isVolumeBoundToClaim(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== claim.metadata?.name || (ref.namespace ?? '') !== (claim.metadata?.namespace ?? '')) return false;
  return !ref.uid || ref.uid === claim.metadata?.uid;
}

/** Why a volume cannot serve a claim, or undefined if it can (upstream checkVolumeSatisfyClaim). */
export function mismatch(pv: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  if (capacityOf(pv) < requestOf(claim)) return 'requested PV is too small';
  if (storageClassOf(pv) !== storageClassOf(claim)) return 'storageClassName does not match';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return 'incompatible volumeMode';
  const have = new Set(pv.spec?.accessModes ?? []);
  if (!(claim.spec?.accessModes ?? []).every((m) => have.has(m))) return 'incompatible accessMode';
  return undefined;
}

/** The volume a Pending claim should bind to, or undefined. */
export function findBestMatch(claim: PersistentVolumeClaim, volumes: Iterable<PersistentVolume>): PersistentVolume | undefined {
  const wanted = claim.spec?.accessModes ?? [];
  const mode = claim.spec?.volumeMode ?? 'Filesystem';
  const requested = requestOf(claim);
  const cls = storageClassOf(claim);
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.metadata?.deletionTimestamp) continue;
    const have = new Set(pv.spec?.accessModes ?? []);
    if (!wanted.every((m) => have.has(m))) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
    const size = capacityOf(pv);
    if (size < requested) continue;
    if (isVolumeBoundToClaim(pv, claim)) return pv; // pre-bound by the user: exact match
    if (pv.spec?.claimRef) continue;
    if (claim.spec?.selector && !matchesSelector(claim.spec.selector, pv.metadata?.labels)) continue;
    if (storageClassOf(pv) !== cls) continue;
    // Volumes not yet Available are skipped: the binder makes them Available first.
    if (pv.status?.phase !== 'Available') continue;
    if (!best || size < capacityOf(best) || (size === capacityOf(best) && (pv.metadata?.name ?? '') < (best.metadata?.name ?? ''))) best = pv;
  }
  return best;
}
