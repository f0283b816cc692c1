// Pure Job logic (upstream job/job_controller syncJob, trimmed): from a Job and its pods, how
// many pods should be running, and whether the Job is Complete, or Failed by backoffLimit or
// activeDeadlineSeconds. Counts never go down, so pods deleted after finishing still count.
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodReady } from '../util/pods.js';

export type Verdict =
  | { kind: 'run'; wantActive: number }
  | { kind: 'complete' }
  | { kind: 'failed'; reason: 'BackoffLimitExceeded' | 'DeadlineExceeded'; message: string };

export interface JobCounts { active: Pod[]; succeeded: number; failed: number; ready: number; restarts: number }

export function countPods(job: Job, pods: Pod[]): JobCounts {
  const active = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
  const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
  const restarts = active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (c.restartCount ?? 0), 0), 0);
  return {
    active, ready: active.filter(isPodReady).length, restarts,
    succeeded: Math.max(job.status?.succeeded ?? 0, succeeded),
    failed: Math.max(job.status?.failed ?? 0, failed),
  };
}

export function finishedCondition(job: Job): JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export function decide(job: Job, c: JobCounts, startTime: number, now = Date.now()): Verdict {
  const backoffLimit = job.spec?.backoffLimit ?? 6;
  // With restartPolicy OnFailure, failures are container restarts inside the active pods.
  const failures = c.failed + (job.spec?.template?.spec?.restartPolicy === 'OnFailure' ? c.restarts : 0);
  if (failures > backoffLimit) return { kind: 'failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  const ads = job.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && now - startTime >= ads * 1000) {
    return { kind: 'failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  }
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) {
    // Work-queue job: done once one pod succeeded and none is left running; no new pods after a success.
    if (c.succeeded > 0 && c.active.length === 0) return { kind: 'complete' };
    return { kind: 'run', wantActive: c.succeeded > 0 ? c.active.length : parallelism };
  }
  if (c.succeeded >= completions) return { kind: 'complete' };
  return { kind: 'run', wantActive: Math.min(parallelism, completions - c.succeeded) };
}

/** upstream pod failure back-off: 10 s · 2^(failures−1), at most 6 minutes. */
export function backoffMs(failures: number, baseMs = 10_000): number {
  return failures <= 0 ? 0 : Math.min(baseMs * 2 ** (failures - 1), 360_000);
}
