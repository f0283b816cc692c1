// Indexed Jobs (upstream job/indexed_job_utils): each pod gets a completion index 0..completions-1
// in the batch.kubernetes.io/job-completion-index annotation and label, the JOB_COMPLETION_INDEX
// env var and the hostname <job>-<index>; the Job is complete when every index has succeeded,
// listed compactly in status.completedIndexes ("1,3-5,7").
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { EnvVar, Pod } from 'kubernetes-types/core/v1.js';

export const INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
export const INDEX_ENV = 'JOB_COMPLETION_INDEX';

export const isIndexed = (job: Job) => job.spec?.completionMode === 'Indexed';

/** The pod's completion index, or undefined when missing or out of range. */
export function indexOf(pod: Pod, completions: number): number | undefined {
  const v = pod.metadata?.annotations?.[INDEX_KEY];
  if (v === undefined || !/^(0|[1-9]\d*)$/.test(v)) return undefined;
  const i = Number(v);
  return i < completions ? i : undefined;
}

/** "1,3-5,7" → {1,3,4,5,7} (indexes ≥ completions dropped). */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!) && i < completions; i++) if (Number.isInteger(i) && i >= 0) out.add(i);
  }
  return out;
}

/** {1,3,4,5,7} → "1,3-5,7": runs of three or more become first-last. */
export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    if (j - i >= 2) out.push(`${xs[i]}-${xs[j]}`); else for (let k = i; k <= j; k++) out.push(String(xs[k]));
    i = j + 1;
  }
  return out.join(',');
}

/** Indexes done: those already recorded plus those of succeeded pods (records never shrink). */
export function succeededIndexes(job: Job, pods: Pod[]): Set<number> {
  const completions = job.spec?.completions ?? 1;
  const done = parseIndexes(job.status?.completedIndexes, completions);
  for (const p of pods) {
    const i = indexOf(p, completions);
    if (p.status?.phase === 'Succeeded' && i !== undefined) done.add(i);
  }
  return done;
}

/**
 * What to change among the active pods: extras go (no index, a duplicate index, or an index
 * already done), and the lowest indexes with no pod are created, up to `want` active pods.
 */
export function planIndexes(job: Job, active: Pod[], done: Set<number>, want: number): { create: number[]; remove: Pod[] } {
  const completions = job.spec?.completions ?? 1;
  const remove: Pod[] = [];
  const running = new Set<number>();
  const oldestFirst = [...active].sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''));
  for (const p of oldestFirst) {
    const i = indexOf(p, completions);
    if (i === undefined || done.has(i) || running.has(i)) remove.push(p); else running.add(i);
  }
  const create: number[] = [];
  for (let i = 0; i < completions && running.size + create.length < want; i++) if (!done.has(i) && !running.has(i)) create.push(i);
  return { create, remove };
}

/** Marks a pod made from the Job's template with its index (name, annotation, label, env, hostname). */
export function withIndex(pod: Pod, job: Job, index: number): Pod {
  const meta = pod.metadata!;
  const prefix = `${job.metadata!.name}-${index}-`;
  meta.generateName = prefix;
  meta.name = prefix + (meta.name ?? '').slice(`${job.metadata!.name}-`.length);
  meta.annotations = { ...meta.annotations, [INDEX_KEY]: String(index) };
  meta.labels = { ...meta.labels, [INDEX_KEY]: String(index) };
  const env: EnvVar = { name: INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${INDEX_KEY}']` } } };
  for (const c of [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers]) {
    if (!(c.env ?? []).some((e) => e.name === INDEX_ENV)) c.env = [...(c.env ?? []), env];
  }
  pod.spec!.hostname = `${job.metadata!.name}-${index}`;
  return pod;
}
