// Pure rollout arithmetic (upstream deployment/util and rolling.go): surge/unavailable
// fenceposts, how far the new ReplicaSet may grow, and how far old ones may shrink without
// dropping below the minimum available. Works on replica counts only, so it is unit-tested.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';

type IntOrString = number | string | undefined;

/** Resolves an int-or-percent against `total`; percents round up or down as asked. */
export function resolveIntOrPercent(v: IntOrString, total: number, roundUp: boolean, dflt: string): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) return Number.isFinite(Number(x)) ? Number(x) : 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** upstream ResolveFenceposts: [maxSurge, maxUnavailable]; both zero would stall, so unavailable = 1. */
export function fenceposts(d: Deployment): [number, number] {
  const desired = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.type === 'Recreate' ? undefined : d.spec?.strategy?.rollingUpdate;
  const surge = resolveIntOrPercent(ru?.maxSurge, desired, true, '25%');
  let unavailable = resolveIntOrPercent(ru?.maxUnavailable, desired, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, Math.min(unavailable, desired)];
}

export const specReplicas = (rs: ReplicaSet | undefined) => rs?.spec?.replicas ?? 0;
export const sumSpec = (rss: ReplicaSet[]) => rss.reduce((n, rs) => n + specReplicas(rs), 0);
export const sumAvailable = (rss: ReplicaSet[]) => rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);

/** upstream NewRSNewReplicas (rolling): grow toward desired without exceeding desired + maxSurge. */
export function newRSReplicas(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet): number {
  const desired = d.spec?.replicas ?? 1;
  const cur = specReplicas(newRS);
  if (cur >= desired) return desired;
  const [surge] = fenceposts(d);
  const current = sumSpec(all);
  const maxTotal = desired + surge;
  if (current >= maxTotal) return cur;
  return cur + Math.min(maxTotal - current, desired - cur);
}

const byCreation = (a: ReplicaSet, b: ReplicaSet) =>
  Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? '') ||
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/**
 * upstream reconcileOldReplicaSets: the new spec.replicas of each old ReplicaSet that should
 * shrink. First unhealthy replicas go (they cost no availability), then healthy ones while
 * availability stays above desired − maxUnavailable.
 */
export function oldRSScaleDown(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, old: ReplicaSet[]): Map<string, number> {
  const plan = new Map<string, number>();
  if (sumSpec(old) === 0) return plan;
  const desired = d.spec?.replicas ?? 1;
  const [, maxUnavailable] = fenceposts(d);
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = specReplicas(newRS) - (newRS?.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpec(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return plan;

  const sorted = [...old].sort(byCreation);
  const replicas = new Map(sorted.map((rs) => [rs.metadata!.name!, specReplicas(rs)]));
  // 1. unhealthy replicas of old ReplicaSets (upstream cleanupUnhealthyReplicas)
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const name = rs.metadata!.name!, r = replicas.get(name)!;
    const unhealthy = r - (rs.status?.availableReplicas ?? 0);
    if (r === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    replicas.set(name, r - n);
    cleaned += n;
  }
  // 2. healthy replicas, oldest ReplicaSet first, while availability allows
  const available = sumAvailable(all);
  const total = Math.min(available - minAvailable, maxScaledDown - cleaned);
  let scaled = 0;
  for (const rs of sorted) {
    if (scaled >= total) break;
    const name = rs.metadata!.name!, r = replicas.get(name)!;
    if (r === 0) continue;
    const n = Math.min(r, total - scaled);
    replicas.set(name, r - n);
    scaled += n;
  }
  for (const rs of sorted) {
    const name = rs.metadata!.name!;
    if (replicas.get(name) !== specReplicas(rs)) plan.set(name, replicas.get(name)!);
  }
  return plan;
}

/** Old ReplicaSets past revisionHistoryLimit that are fully scaled down: safe to delete. */
export function rsToCleanUp(d: Deployment, old: ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec?.revisionHistoryLimit ?? 10;
  const idle = old.filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 &&
    (rs.status?.observedGeneration ?? 0) >= (rs.metadata?.generation ?? 0) && !rs.metadata?.deletionTimestamp);
  if (idle.length <= limit) return [];
  return idle.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b)).slice(0, idle.length - limit);
}

export const REVISION = 'deployment.kubernetes.io/revision';
export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = Number(o.metadata?.annotations?.[REVISION]);
  return Number.isFinite(v) ? v : 0;
}
