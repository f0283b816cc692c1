// Job controller (upstream job): runs pods from the template until `completions` succeeded
// (`parallelism` at a time), replaces failed ones with back-off, and ends the Job Complete or
// Failed (backoffLimit, activeDeadlineSeconds) with status counts and conditions that
// `kubectl get jobs` and `kubectl wait --for=condition=complete` read. Indexed Jobs run one
// pod per completion index (indexed.ts).
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { controllerRef, newControllerRef } from '../util/owners.js';
import { W } from '../util/resources.js';
import { errMessage, type Controller } from '../util/run.js';
import { Expectations } from '../replicaset/expectations.js';
import { generateName } from '../replicaset/pod-names.js';
import { backoffMs, countPods, decide, finishedCondition } from './job-status.js';
import { formatIndexes, isIndexed, planIndexes, succeededIndexes, withIndex } from './indexed.js';

type J = Job & KubeObject;

export interface JobOptions { /** Base of the failed-pod back-off (upstream 10 s). */ backoffBaseMs?: number }

export class JobController implements Controller {
  readonly name = 'job-controller';
  readonly queue = new WorkQueue();
  private readonly expectations = new Expectations();
  private readonly lastFailures = new Map<string, { failed: number; at: number }>();
  private readonly jobInf;
  private readonly podInf;
  private readonly events;

  constructor(private readonly client: ApiClient, informers: SharedInformers, private readonly opts: JobOptions = {}) {
    this.events = new EventRecorder(client, 'job-controller');
    this.jobInf = informers.for<Job>(W.jobs);
    this.podInf = informers.for<Pod>(R.pods);
    this.jobInf.onChange((j) => this.queue.add(keyOf(j)));
    this.podInf.onAdd((p) => this.podEvent(p, true));
    this.podInf.onUpdate((o, p) => { if (o.metadata?.resourceVersion !== p.metadata?.resourceVersion) this.podEvent(p, false); });
    this.podInf.onDelete((p) => this.podEvent(p, false));
  }

  enqueueAll(): void { for (const j of this.jobInf.list()) this.queue.add(keyOf(j)); }

  private podEvent(p: Pod, added: boolean): void {
    const ref = controllerRef(p as KubeObject);
    if (ref?.kind !== 'Job') return;
    const key = `${p.metadata?.namespace}/${ref.name}`;
    if (added) this.expectations.creationObserved(key);
    else if (p.metadata?.deletionTimestamp || !this.podInf.get(keyOf(p as KubeObject))) this.expectations.deletionObserved(key, keyOf(p as KubeObject));
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const job = this.jobInf.get(key);
    if (!job) { this.expectations.delete(key); this.lastFailures.delete(key); return; }
    if (job.metadata?.deletionTimestamp) return;
    const pods = this.podInf.list().filter((p) => p.metadata?.namespace === job.metadata?.namespace && controllerRef(p as KubeObject)?.uid === job.metadata?.uid);
    const c = countPods(job, pods);
    const doneIndexes = isIndexed(job) ? succeededIndexes(job, pods) : undefined;
    if (doneIndexes) c.succeeded = doneIndexes.size;
    const now = Date.now();
    const status: JobStatus = { ...(job.status ?? {}), succeeded: c.succeeded, failed: c.failed, ready: c.ready };
    if (doneIndexes) status.completedIndexes = formatIndexes(doneIndexes) || undefined;
    const done = finishedCondition(job);
    if (done || job.spec?.suspend) {
      await this.deletePods(key, job, c.active);
      status.active = 0;
      return this.writeStatus(job, status);
    }
    status.startTime ??= new Date(now).toISOString();
    const start = Date.parse(status.startTime);
    const v = decide(job, c, start, now);
    status.active = c.active.length;
    if (v.kind === 'failed') {
      await this.deletePods(key, job, c.active);
      status.active = 0;
      status.conditions = setCondition(status.conditions, { type: 'Failed', status: 'True', reason: v.reason, message: v.message });
      void this.events.event(job, 'Warning', v.reason, v.message);
    } else if (v.kind === 'complete') {
      await this.deletePods(key, job, c.active);
      status.active = 0;
      status.completionTime = new Date(now).toISOString();
      status.conditions = setCondition(status.conditions, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
      void this.events.event(job, 'Normal', 'Completed', 'Job completed');
    } else if (this.expectations.satisfied(key)) {
      await this.manage(key, job, c.active, v.wantActive, c.failed, now, doneIndexes);
    }
    await this.writeStatus(job, status);
    const ads = job.spec?.activeDeadlineSeconds;
    if (v.kind === 'run' && ads !== undefined && ads !== null) this.queue.addAfter(key, start + ads * 1000 - now + 50);
  }

  private async manage(key: string, job: J, active: Pod[], want: number, failed: number, now: number, done?: Set<number>): Promise<void> {
    const plan = done ? planIndexes(job, active, done, want) : plainPlan(active, want);
    if (plan.remove.length) return this.deletePods(key, job, plan.remove);
    const diff = plan.create.length;
    if (diff === 0) return;
    // Back off after failures: the next pod waits 10 s · 2^(failures−1) from when we saw the failure.
    let last = this.lastFailures.get(key);
    if (failed > (last?.failed ?? 0)) this.lastFailures.set(key, (last = { failed, at: now }));
    const wait = last ? last.at + backoffMs(failed, this.opts.backoffBaseMs) - now : 0;
    if (wait > 0) { this.queue.addAfter(key, wait); return; }
    this.expectations.expectCreations(key, diff);
    const errors: string[] = [];
    await Promise.all(plan.create.map(async (index) => {
      const pod = index === undefined ? podFromJob(job) : withIndex(podFromJob(job), job, index);
      try {
        await this.client.create(R.pods, pod as Pod & KubeObject);
        void this.events.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata!.name}`);
      } catch (err) {
        this.expectations.creationFailed(key);
        errors.push(errMessage(err));
        void this.events.event(job, 'Warning', 'FailedCreate', `Error creating: ${errMessage(err)}`);
      }
    }));
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async deletePods(key: string, job: J, pods: Pod[]): Promise<void> {
    if (!pods.length) return;
    this.expectations.expectDeletions(key, pods.map((p) => keyOf(p as KubeObject)));
    await Promise.all(pods.map(async (p) => {
      try {
        await this.client.delete(R.pods, p.metadata!.name!, p.metadata!.namespace, { uid: p.metadata?.uid as string | undefined });
        void this.events.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
      } catch (err) {
        this.expectations.deletionObserved(key, keyOf(p as KubeObject));
        if (!isNotFound(err)) throw err;
      }
    }));
  }

  private async writeStatus(job: J, status: JobStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(job.status ?? {})) return;
    try {
      await this.client.patch(W.jobs, job.metadata!.name!, job.metadata!.namespace, { status }, 'merge', 'status');
    } catch (err) { if (!isNotFound(err)) throw err; }
  }
}

/** NonIndexed: the newest extras go; the missing ones are made (no index). */
function plainPlan(active: Pod[], want: number): { create: Array<number | undefined>; remove: Pod[] } {
  const diff = want - active.length;
  if (diff >= 0) return { create: Array.from({ length: diff }, () => undefined), remove: [] };
  const newest = [...active].sort((a, b) => Date.parse(b.metadata?.creationTimestamp ?? '') - Date.parse(a.metadata?.creationTimestamp ?? ''));
  return { create: [], remove: newest.slice(0, -diff) };
}

function setCondition(conds: JobCondition[] | undefined, c: Omit<JobCondition, 'lastProbeTime' | 'lastTransitionTime'>): JobCondition[] {
  const ts = new Date().toISOString();
  return [...(conds ?? []).filter((x) => x.type !== c.type), { ...c, lastProbeTime: ts, lastTransitionTime: ts }];
}

/** A pod for the Job: the template's labels (which carry the job's selector), the Job as controller. */
export function podFromJob(job: Job): Pod {
  const t = job.spec?.template;
  const prefix = `${job.metadata!.name}-`;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: generateName(prefix), generateName: prefix, namespace: job.metadata!.namespace,
      labels: { ...(t?.metadata?.labels ?? {}) },
      ...(t?.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(job as never, 'batch/v1', 'Job')],
    },
    spec: structuredClone(t?.spec ?? { containers: [] }),
  };
}
