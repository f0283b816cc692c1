// Pure DaemonSet logic (upstream daemon/util and NodeShouldRunDaemonPod): which nodes a
// DaemonSet belongs on (nodeSelector, required node affinity, NoSchedule/NoExecute taints the
// pod does not tolerate), the tolerations every daemon pod gets, and the pod for one node —
// pinned by node affinity on metadata.name so the scheduler binds it, as upstream does.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, NodeSelectorTerm, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { nodeMatchesPod } from '../../scheduler/plugins/node-affinity.js';
import { untoleratedTaint } from '../../scheduler/plugins/taint-toleration.js';
import { newControllerRef } from '../util/owners.js';
import { generateName } from '../replicaset/pod-names.js';
import { computeHash } from '../deployment/template-hash.js';

export const REVISION_LABEL = 'controller-revision-hash';

/** upstream AddOrUpdateDaemonPodTolerations: daemons survive node trouble and cordons. */
export const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export function withDaemonTolerations(tols: Toleration[] = []): Toleration[] {
  const out = [...tols];
  for (const t of DAEMON_TOLERATIONS) if (!out.some((x) => x.key === t.key && x.effect === t.effect && x.operator === 'Exists')) out.push(t);
  return out;
}

export const dsRevision = (ds: DaemonSet) => computeHash(ds.spec?.template, ds.status?.collisionCount);

/** The template's pod as it would run on `node` (for the eligibility checks). */
function podOnNode(ds: DaemonSet, node: string): Pod {
  const spec = structuredClone(ds.spec?.template?.spec ?? { containers: [] });
  spec.tolerations = withDaemonTolerations(spec.tolerations);
  spec.affinity = { ...(spec.affinity ?? {}), nodeAffinity: { ...(spec.affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: pinTerms(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, node) } } };
  return { metadata: { labels: ds.spec?.template?.metadata?.labels }, spec };
}

/**
 * upstream ReplaceDaemonSetPodNodeNameNodeAffinity: keep the user's terms' expressions, pin each
 * to the node by a matchFields metadata.name requirement (one term if there were none).
 */
export function pinTerms(terms: NodeSelectorTerm[] | undefined, node: string): NodeSelectorTerm[] {
  const field = { key: 'metadata.name', operator: 'In', values: [node] };
  if (!terms?.length) return [{ matchFields: [field] }];
  return terms.map((t) => ({ ...(t.matchExpressions ? { matchExpressions: t.matchExpressions } : {}), matchFields: [field] }));
}

/**
 * upstream NodeShouldRunDaemonPod: shouldRun = a new daemon pod belongs here;
 * shouldContinueRunning = an existing one may stay (NoExecute taints evict, NoSchedule do not).
 */
export function nodeShouldRunDaemonPod(ds: DaemonSet, node: Node): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const pod = podOnNode(ds, node.metadata!.name!);
  if (!nodeMatchesPod(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const tols = pod.spec?.tolerations ?? [];
  if (untoleratedTaint(taints, tols, ['NoExecute'])) return { shouldRun: false, shouldContinueRunning: false };
  if (untoleratedTaint(taints, tols, ['NoSchedule'])) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The daemon pod for one node. */
export function newDaemonPod(ds: DaemonSet, node: string, hash = dsRevision(ds)): Pod {
  const t = ds.spec?.template;
  const prefix = `${ds.metadata!.name}-`;
  const pod = podOnNode(ds, node);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: generateName(prefix), generateName: prefix, namespace: ds.metadata!.namespace,
      labels: { ...(t?.metadata?.labels ?? {}), [REVISION_LABEL]: hash, 'pod-template-generation': String(ds.metadata?.generation ?? 1) },
      ...(t?.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(ds as never, 'apps/v1', 'DaemonSet')],
    },
    spec: pod.spec,
  };
}

/** The node a daemon pod is for: spec.nodeName once bound, else its pinned node affinity. */
export function daemonPodNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const t of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = t.matchFields?.find((x) => x.key === 'metadata.name' && x.operator === 'In' && x.values?.length === 1);
    if (f) return f.values![0];
  }
  return undefined;
}
