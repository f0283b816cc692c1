// volumeClaimTemplates (upstream stateful_pod_control): each member gets its own claims, named
// <template>-<set>-<ordinal>, created before the pod and kept when the pod is replaced. The
// persistentVolumeClaimRetentionPolicy says whether the garbage collector removes them with the
// set (whenDeleted: Delete → owned by the set) or with a scaled-away member (whenScaled: Delete →
// owned by that condemned pod); Retain keeps them.
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

export const claimName = (template: string, set: string, ordinal: number) => `${template}-${set}-${ordinal}`;

/** The claims member `ordinal` needs: the templates, renamed, in the set's namespace, with its selector's labels. */
export function claimsFor(s: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  return (s.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: {
      ...structuredClone(t.metadata ?? {}),
      name: claimName(t.metadata?.name ?? '', s.metadata!.name!, ordinal), namespace: s.metadata!.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...(s.spec?.selector?.matchLabels ?? {}) },
      ...(s.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete' ? { ownerReferences: [setRef(s)] } : {}),
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

/** upstream updateStorage: each template becomes a pod volume of the same name on the member's claim. */
export function withClaimVolumes(pod: Pod, s: StatefulSet, ordinal: number): Pod {
  const templates = s.spec?.volumeClaimTemplates ?? [];
  if (!templates.length) return pod;
  const names = new Set(templates.map((t) => t.metadata?.name));
  pod.spec!.volumes = [
    ...templates.map((t) => ({ name: t.metadata!.name!, persistentVolumeClaim: { claimName: claimName(t.metadata!.name!, s.metadata!.name!, ordinal) } })),
    ...(pod.spec!.volumes ?? []).filter((v) => !names.has(v.name)),
  ];
  return pod;
}

const setRef = (s: StatefulSet): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: s.metadata!.name!, uid: s.metadata!.uid! });
const podRef = (p: Pod): OwnerReference => ({ apiVersion: 'v1', kind: 'Pod', name: p.metadata!.name!, uid: p.metadata!.uid! });

/**
 * upstream updateClaimOwnerRefForSetAndPod: the owners a member's claim should have under the
 * retention policy (other owners untouched), or undefined when they are right already.
 */
export function claimOwners(claim: PersistentVolumeClaim, s: StatefulSet, ordinal: number, pod: Pod | undefined): OwnerReference[] | undefined {
  const policy = s.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const cur = claim.metadata?.ownerReferences ?? [];
  const ours = (r: OwnerReference) => (r.kind === 'StatefulSet' && r.uid === s.metadata?.uid) || (r.kind === 'Pod' && r.name === `${s.metadata?.name}-${ordinal}`);
  const want = cur.filter((r) => !ours(r));
  const condemned = ordinal >= (s.spec?.replicas ?? 1);
  // A condemned member's claim follows the pod alone (the GC waits for every owner to go).
  if (policy.whenScaled === 'Delete' && condemned) {
    if (!pod?.metadata?.uid || pod.metadata.deletionTimestamp) return undefined; // set before it went; the GC finishes
    want.push(podRef(pod));
  } else if (policy.whenDeleted === 'Delete') want.push(setRef(s));
  const key = (rs: OwnerReference[]) => JSON.stringify(rs.map((r) => r.uid).sort());
  return key(want) === key(cur) ? undefined : want;
}
