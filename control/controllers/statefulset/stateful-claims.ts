// volumeClaimTemplates (upstream stateful_pod_control): each member gets its own claims, named
// <template>-<set>-<ordinal>, created before the pod and kept when the pod is replaced or the set
// scales down (persistentVolumeClaimRetentionPolicy Retain), so a member restarts on its data.
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';

export const claimName = (template: string, set: string, ordinal: number) => `${template}-${set}-${ordinal}`;

/** The claims member `ordinal` needs: the templates, renamed, in the set's namespace, with its selector's labels. */
export function claimsFor(s: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  return (s.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: {
      ...structuredClone(t.metadata ?? {}),
      name: claimName(t.metadata?.name ?? '', s.metadata!.name!, ordinal), namespace: s.metadata!.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...(s.spec?.selector?.matchLabels ?? {}) },
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
