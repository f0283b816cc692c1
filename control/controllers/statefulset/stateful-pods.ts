// Pure StatefulSet logic (upstream stateful_set_control, trimmed): stable pod names
// `<set>-<ordinal>`, the pod for one ordinal, and the next step of a reconcile — create the
// lowest missing ordinal, delete the highest condemned one, roll the highest out-of-date one —
// waiting for each pod to be Running and Ready first under OrderedReady.
import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { computeHash } from '../deployment/template-hash.js';
import { newControllerRef } from '../util/owners.js';
import { isPodAvailable, isPodReady } from '../util/pods.js';

export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export const updateRevision = (s: StatefulSet) => `${s.metadata!.name}-${computeHash(s.spec?.template, s.status?.collisionCount)}`;

/** The ordinal in `<set>-<n>`, or undefined for a pod not named like a member. */
export function ordinalOf(set: string, pod: Pod): number | undefined {
  const name = pod.metadata?.name ?? '';
  if (!name.startsWith(`${set}-`)) return undefined;
  const rest = name.slice(set.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function newStatefulPod(s: StatefulSet, ordinal: number, revision = updateRevision(s)): Pod {
  const t = s.spec?.template;
  const name = `${s.metadata!.name}-${ordinal}`;
  const spec = structuredClone(t?.spec ?? { containers: [] });
  spec.hostname = name;
  if (s.spec?.serviceName) spec.subdomain = s.spec.serviceName;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: s.metadata!.namespace,
      labels: { ...(t?.metadata?.labels ?? {}), [REVISION_LABEL]: revision, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
      ...(t?.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(s as never, 'apps/v1', 'StatefulSet')],
    },
    spec,
  };
}

const healthy = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p) && !p.metadata?.deletionTimestamp;

export type Step =
  | { action: 'create'; ordinals: number[] }
  | { action: 'delete'; pods: Pod[] }
  | { action: 'wait'; reason: string }
  | { action: 'none' };

/** The next thing to do for this set, given its pods by ordinal. */
export function nextStep(s: StatefulSet, pods: Map<number, Pod>): Step {
  const replicas = s.spec?.replicas ?? 1;
  const ordered = (s.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  const rev = updateRevision(s);
  // 1. Replace failed members; create missing ones (lowest first; one at a time when ordered).
  const failed = [...pods.values()].filter((p) => p.status?.phase === 'Failed' && !p.metadata?.deletionTimestamp);
  if (failed.length) return { action: 'delete', pods: failed };
  const missing: number[] = [];
  for (let i = 0; i < replicas; i++) {
    const p = pods.get(i);
    if (!p) {
      if (ordered) return { action: 'create', ordinals: [i] };
      missing.push(i);
    } else if (ordered && !healthy(p)) {
      return { action: 'wait', reason: `pod ${p.metadata?.name} is not Running and Ready` };
    }
  }
  if (missing.length) return { action: 'create', ordinals: missing };
  // 2. Condemned members (ordinal ≥ replicas) go, highest first; one at a time when ordered.
  const condemned = [...pods.entries()].filter(([i]) => i >= replicas).sort(([a], [b]) => b - a).map(([, p]) => p);
  if (condemned.length) {
    if (!ordered) return { action: 'delete', pods: condemned.filter((p) => !p.metadata?.deletionTimestamp) };
    const top = condemned[0]!;
    return top.metadata?.deletionTimestamp ? { action: 'wait', reason: `pod ${top.metadata?.name} is terminating` } : { action: 'delete', pods: [top] };
  }
  // 3. RollingUpdate: from the highest ordinal down to the partition, one out-of-date pod at a time.
  if ((s.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return { action: 'none' };
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let i = replicas - 1; i >= partition; i--) {
    const p = pods.get(i)!;
    if (p.metadata?.deletionTimestamp) return { action: 'wait', reason: `pod ${p.metadata?.name} is terminating` };
    if (p.metadata?.labels?.[REVISION_LABEL] !== rev) return { action: 'delete', pods: [p] };
    if (!healthy(p)) return { action: 'wait', reason: `pod ${p.metadata?.name} is not Running and Ready` };
  }
  return { action: 'none' };
}

export function computeStatus(s: StatefulSet, pods: Pod[]): StatefulSetStatus {
  const rev = updateRevision(s);
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const replicas = s.spec?.replicas ?? 1;
  const updated = live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === rev).length;
  let current = s.status?.currentRevision ?? rev;
  const ready = live.filter(isPodReady).length;
  // The rollout is over when every member runs the update revision and is ready.
  if (updated === replicas && ready >= replicas && live.length === replicas) current = rev;
  return {
    observedGeneration: s.metadata?.generation ?? 0,
    replicas: live.length,
    readyReplicas: ready,
    availableReplicas: live.filter((p) => isPodAvailable(p, s.spec?.minReadySeconds ?? 0)).length,
    currentReplicas: live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === current).length,
    updatedReplicas: updated,
    currentRevision: current,
    updateRevision: rev,
    ...(s.status?.collisionCount ? { collisionCount: s.status.collisionCount } : {}), // unset stays unset: it feeds the hash
  };
}
