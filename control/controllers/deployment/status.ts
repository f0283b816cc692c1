// Deployment status and conditions (upstream deployment/sync.go calculateStatus and
// progress.go): replica counts summed over the ReplicaSets, Available and Progressing
// conditions in the shape `kubectl rollout status` and `kubectl get deploy` read.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { fenceposts, sumAvailable, sumSpec } from './rollout.js';
import { canonicalJson } from './template-hash.js';

export type ProgressEvent = 'created' | 'found' | undefined;

export function isComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = d.spec?.replicas ?? 1;
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

function setCondition(conds: DeploymentCondition[], c: DeploymentCondition, touch: boolean): DeploymentCondition[] {
  const cur = conds.find((x) => x.type === c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason && cur.message === c.message && !touch) return conds;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  return [...conds.filter((x) => x.type !== c.type), c];
}

/**
 * The status to write. `newRSEvent` says whether this sync created (or first found) the new
 * ReplicaSet; `now` is injectable for tests.
 */
export function calculateStatus(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, newRSEvent?: ProgressEvent, now = new Date()): DeploymentStatus {
  const desired = d.spec?.replicas ?? 1;
  const available = sumAvailable(all);
  const ts = now.toISOString();
  const s: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: all.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: all.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(sumSpec(all) - available, 0),
  };
  if (d.status?.collisionCount !== undefined) s.collisionCount = d.status.collisionCount;
  const cond = (type: string, status: string, reason: string, message: string): DeploymentCondition =>
    ({ type, status, reason, message, lastUpdateTime: ts, lastTransitionTime: ts });

  let conds = [...(d.status?.conditions ?? [])];
  const [, maxUnavailable] = fenceposts(d);
  conds = available >= desired - maxUnavailable
    ? setCondition(conds, cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'), false)
    : setCondition(conds, cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'), false);

  const rsName = newRS?.metadata?.name ?? '';
  const prog = conds.find((c) => c.type === 'Progressing');
  const old = d.status ?? {};
  if (d.spec?.paused) {
    conds = setCondition(conds, cond('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'), false);
  } else if (prog?.reason === 'DeploymentPaused') {
    conds = setCondition(conds, cond('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'), false);
  } else if (isComplete(d, s)) {
    conds = setCondition(conds, cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`), false);
  } else if (newRSEvent === 'created') {
    conds = setCondition(conds, cond('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`), true);
  } else if (newRSEvent === 'found' && !prog) {
    conds = setCondition(conds, cond('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rsName}"`), true);
  } else if (s.updatedReplicas !== old.updatedReplicas || s.replicas !== old.replicas ||
             s.readyReplicas !== old.readyReplicas || s.availableReplicas !== old.availableReplicas ||
             prog?.reason === 'NewReplicaSetAvailable') {
    conds = setCondition(conds, cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`), true);
  } else if (prog && prog.status === 'True' && deadlineExceeded(d, prog, now)) {
    conds = setCondition(conds, cond('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`), false);
  }
  s.conditions = conds.sort((a, b) => a.type.localeCompare(b.type));
  return s;
}

function deadlineExceeded(d: Deployment, prog: DeploymentCondition, now: Date): boolean {
  const secs = d.spec?.progressDeadlineSeconds ?? 600;
  if (!Number.isFinite(secs) || secs >= 2 ** 31 - 1 || !prog.lastUpdateTime) return false;
  return Date.parse(prog.lastUpdateTime) + secs * 1000 < now.getTime();
}

/** Milliseconds until the progress deadline passes (for a delayed requeue), if one is running. */
export function msUntilDeadline(d: Deployment, s: DeploymentStatus, now = Date.now()): number | undefined {
  const prog = s.conditions?.find((c) => c.type === 'Progressing');
  if (!prog || prog.status !== 'True' || prog.reason === 'NewReplicaSetAvailable' || !prog.lastUpdateTime) return undefined;
  const secs = d.spec?.progressDeadlineSeconds ?? 600;
  return Math.max(0, Date.parse(prog.lastUpdateTime) + secs * 1000 - now) + 100;
}

/** Equal apart from condition order and zero counts (which a server may omit, as upstream's omitempty does). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  const norm = (s: DeploymentStatus | undefined) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s ?? {})) if (v !== 0 && v !== undefined) o[k] = v;
    o.conditions = [...(s?.conditions ?? [])].sort((x, y) => x.type.localeCompare(y.type));
    return canonicalJson(o);
  };
  return norm(a) === norm(b);
}
