// Pure ReplicaSet logic: which pods to delete first when scaling down, the pod a template
// stamps out, and the status a set of pods adds up to. No I/O, so it is unit-tested directly.
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { isPodAvailable, isPodReady } from '../util/pods.js';
import { matchesMap } from '../../client/labels.js';
import { newControllerRef } from '../util/owners.js';
import { generateName } from './pod-names.js';

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function readySince(p: Pod): number {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}
const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
const created = (p: Pod) => (p.metadata?.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : 0);

/**
 * Orders pods so the cheapest to lose come first (upstream controller.ActivePods.Less):
 * unscheduled before scheduled, Pending < Unknown < Running, not ready before ready,
 * ready for less time first, more restarts first, newer first.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 1 : 0, sb = b.spec?.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const pa = phaseRank[a.status?.phase ?? 'Pending'] ?? 0, pb = phaseRank[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0, rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  if (ra && rb && readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return created(b) - created(a);
}

export function podsToDelete(pods: Pod[], n: number): Pod[] {
  return [...pods].sort(compareForDeletion).slice(0, Math.max(0, n));
}

/** The pod a ReplicaSet creates from its template: a fresh name, the RS as controller. */
export function podFromTemplate(rs: ReplicaSet, template: PodTemplateSpec = rs.spec?.template ?? {}): Pod {
  const prefix = `${rs.metadata!.name}-`;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: generateName(prefix),
      generateName: prefix,
      namespace: rs.metadata!.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      ownerReferences: [newControllerRef(rs as never, 'apps/v1', 'ReplicaSet')],
    },
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
}

/** Status a ReplicaSet reports for its active pods (conditions are kept from the current status). */
export function computeStatus(rs: ReplicaSet, pods: Pod[], now = Date.now()): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) => matchesMap(templateLabels, p.metadata?.labels)).length,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  if (rs.status?.conditions?.length) status.conditions = rs.status.conditions;
  return status;
}

export function statusEqual(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  // zero counts compare equal to missing ones: a server may omit them, as upstream's omitempty does
  const pick = (s: ReplicaSetStatus | undefined) => [s?.replicas ?? 0, s?.fullyLabeledReplicas ?? 0, s?.readyReplicas ?? 0,
    s?.availableReplicas ?? 0, s?.observedGeneration ?? 0, JSON.stringify(s?.conditions ?? [])].join('|');
  return pick(a) === pick(b);
}
