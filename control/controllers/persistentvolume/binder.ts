// The matching rules of the PersistentVolume binder (upstream pkg/controller/volume/persistentvolume
// index.go and util.FindMatchingVolume): which Available volume a Pending claim gets — same
// storage class, a superset of its access modes, same volume mode, enough capacity, labels the
// claim's selector accepts — the smallest that fits; a volume pre-bound to the claim wins. For a
// WaitForFirstConsumer claim only the scheduler picks (for a node, honouring volume node affinity).
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { matchesSelector } from '../../client/labels.js';
import { termMatches } from '../../scheduler/plugins/node-affinity.js';
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

/** Does the claim's class delay binding until a pod using it is scheduled? */
export const isDelayBinding = (claim: PersistentVolumeClaim, classOf: (name: string) => StorageClass | undefined): boolean => {
  const cls = storageClassOf(claim);
  return !!cls && classOf(cls)?.volumeBindingMode === 'WaitForFirstConsumer';
};

/** The volume's required node affinity admits the node. */
export function volumeFitsNode(pv: PersistentVolume, node: Node): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  return !terms?.length || terms.some((t) => termMatches(t, node));
}

export interface MatchOptions {
  /** Pick for this node (the scheduler): volumes whose node affinity excludes it are skipped. */
  node?: Node;
  /** The claim waits for its first consumer: without a node only a volume pre-bound to it counts. */
  delayBinding?: boolean;
  /** Volumes already promised to other claims in this decision. */
  taken?: Set<string>;
}

/** The volume a Pending claim should bind to, or undefined. */
export function findBestMatch(claim: PersistentVolumeClaim, volumes: Iterable<PersistentVolume>, opts: MatchOptions = {}): PersistentVolume | undefined {
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
    // Pre-bound by the user (or the scheduler): the match, unless it cannot be on the node.
    if (isVolumeBoundToClaim(pv, claim)) return !opts.node || volumeFitsNode(pv, opts.node) ? pv : undefined;
    if (opts.node && !volumeFitsNode(pv, opts.node)) continue;
    if (opts.delayBinding && !opts.node) continue; // the scheduler binds it, for the pod's node
    if (pv.spec?.claimRef || opts.taken?.has(pv.metadata?.name ?? '')) continue;
    if (claim.spec?.selector && !matchesSelector(claim.spec.selector, pv.metadata?.labels)) continue;
    if (storageClassOf(pv) !== cls) continue;
    // Volumes not yet Available are skipped: the binder makes them Available first.
    if (pv.status?.phase !== 'Available') continue;
    if (!best || size < capacityOf(best) || (size === capacityOf(best) && (pv.metadata?.name ?? '') < (best.metadata?.name ?? ''))) best = pv;
  }
  return best;
}
