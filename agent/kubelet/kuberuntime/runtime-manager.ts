// Drives one pod to its spec through CRI (upstream's kuberuntime manager, SyncPod/KillPod):
// volumes, a ready sandbox (recreated if it died), init containers one at a time in order, then
// the app containers, each restarted per restartPolicy with CrashLoopBackOff and killed when a
// liveness/startup probe fails. Finished pods keep their containers but lose their sandbox.
// It reports why containers wait; status computation and writing are status/'s job.
import { mkdirSync, rmSync } from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../cri/client.js';
import type { CriRuntime } from '../../cri/runtime.js';
import type { KubeletConfig } from '../config.js';
import { removePodCgroups } from '../cm/pod-cgroups.js';
import type { ObjectCache, ObjectLookup } from '../configmap/object-cache.js';
import type { EventRecorder } from '../events/recorder.js';
import { ImageManager } from '../images/image-manager.js';
import type { ProberManager, RunningContainer } from '../prober/prober-manager.js';
import { instancesOf, readySandbox, type RuntimeContainer, type RuntimePod, type Waiting } from '../status/pod-status.js';
import { Backoff } from '../util/backoff.js';
import { nsToMs } from '../util/time.js';
import { VolumeError, VolumeManager } from '../volumes/volume-manager.js';
import { volumeRefs } from '../volumes/projections.js';
import { envRefs } from './container-config.js';
import { fieldPath, startContainer, stopContainer } from './container-start.js';
import { POD_UID } from './labels.js';
import { podCgroupParent, podLogDir, sandboxConfig } from './sandbox-config.js';

export interface SyncResult {
  runtime: RuntimePod;
  waiting: Map<string, Waiting>;
  /** Sync again after this many ms (back-off expiry), 0 = only on the next event. */
  requeueAfterMs: number;
}

export interface RuntimeDeps { objects: ObjectCache; volumes: VolumeManager; probes: ProberManager }

const VOLUME_RETRY_MS = 2_000;

/** No container will run again: every app container exited for good, or an init container failed under Never. */
export function podFinished(pod: Pod, rt: RuntimePod): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always' || rt.sandboxes.length === 0) return false;
  if (policy === 'Never' && (pod.spec?.initContainers ?? []).some((c) => {
    const l = instancesOf(rt, c.name)[0];
    return l?.state === 'CONTAINER_EXITED' && l.exit_code !== 0;
  })) return true;
  return (pod.spec?.containers ?? []).every((c) => {
    const last = instancesOf(rt, c.name)[0];
    return last?.state === 'CONTAINER_EXITED' && (policy === 'Never' || last.exit_code === 0);
  });
}

export class RuntimeManager {
  readonly images: ImageManager;
  readonly restartBackoff: Backoff;

  constructor(private readonly cri: CriRuntime, private readonly cfg: KubeletConfig, private readonly events: EventRecorder,
    private readonly d: RuntimeDeps) {
    this.images = new ImageManager(cri);
    this.restartBackoff = new Backoff(cfg.crashLoopBackoffBaseMs, cfg.crashLoopBackoffMaxMs);
  }

  get probes(): ProberManager { return this.d.probes; }

  /** Every sandbox and container instance the runtime has for a pod uid. */
  async podRuntime(uid: string): Promise<RuntimePod> {
    const sel = { label_selector: { [POD_UID]: uid } };
    const [sbs, cs] = await Promise.all([this.cri.listPodSandbox(sel), this.cri.listContainers(sel)]);
    const sandboxes = (await Promise.all(sbs.map((s) => this.cri.podSandboxStatus(s.id).then((r) => r.status, skipGone)))).filter((s) => s != null);
    const containers = (await Promise.all(cs.map((c) => this.cri.containerStatus(c.id).then((r) => r.status && { ...r.status, pod_sandbox_id: c.pod_sandbox_id }, skipGone)))).filter((c) => c != null);
    return { sandboxes, containers };
  }

  /**
   * Rewrites a running pod's configMap, secret, projected and downwardAPI files from fresh
   * objects, without a full sync (upstream's volume manager remounts on its own loop too).
   * Errors are left to the next full sync, which reports them as FailedMount events.
   */
  async refreshVolumes(pod: Pod): Promise<void> {
    if (!VolumeManager.needsResync(pod)) return;
    this.d.volumes.setUp(pod, await this.d.objects.prefetch(pod.metadata!.namespace!, volumeRefs(pod), pod));
  }

  async syncPod(pod: Pod, hostIP: string): Promise<SyncResult> {
    const uid = pod.metadata!.uid!;
    const ns = pod.metadata!.namespace!;
    const waiting = new Map<string, Waiting>();
    let requeue = Infinity;
    const later = (ms: number) => { if (ms > 0) requeue = Math.min(requeue, ms); };
    const done = (rt: RuntimePod): SyncResult => ({ runtime: rt, waiting, requeueAfterMs: requeue === Infinity ? 0 : requeue });
    let rt = await this.podRuntime(uid);

    if (podFinished(pod, rt) || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      this.d.probes.removePod(uid);
      for (const s of rt.sandboxes) if (s.state === 'SANDBOX_READY') await this.cri.stopPodSandbox(s.id).catch(skipGone);
      return done(rt);
    }

    // Volumes and the objects env refers to, before anything runs.
    const refs = volumeRefs(pod);
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) envRefs(c, refs);
    const objects: ObjectLookup = await this.d.objects.prefetch(ns, refs, pod);
    let dirs: Map<string, string>;
    try {
      dirs = this.d.volumes.setUp(pod, objects);
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      this.events.event(pod, 'Warning', 'FailedMount', err.message);
      later(VOLUME_RETRY_MS);
      return done(rt);
    }

    let sb = readySandbox(rt);
    if (!sb) {
      const attempt = rt.sandboxes.reduce((n, s) => Math.max(n, (s.metadata?.attempt ?? 0) + 1), 0);
      for (const old of rt.sandboxes) await this.removeSandbox(old.id);
      if (rt.sandboxes.length) this.d.probes.removePod(uid);
      const config = sandboxConfig(this.cfg, pod, attempt);
      mkdirSync(config.log_directory!, { recursive: true });
      let id: string;
      try {
        id = await this.cri.runPodSandbox(config);
      } catch (err) {
        this.events.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
        throw err;
      }
      rt = await this.podRuntime(uid);
      sb = rt.sandboxes.find((s) => s.id === id);
      if (!sb) throw new Error(`sandbox ${id} vanished after creation`);
    }
    const sandboxId = sb.id;
    const sbConfig = sandboxConfig(this.cfg, pod, sb.metadata?.attempt ?? 0);
    const ctx = { podIP: sb.network?.ip ?? '', hostIP, nodeName: this.cfg.nodeName };
    const start = async (c: Container, attempt: number) => {
      let mounts;
      try { mounts = this.d.volumes.mountsFor(pod, c, dirs); } catch (err) {
        waiting.set(c.name, { reason: 'CreateContainerConfigError', message: (err as Error).message });
        this.events.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`, fieldPath(pod, c));
        return later(5_000);
      }
      later(await startContainer(this.cri, this.images, this.events, { pod, c, attempt, sandboxId, sbConfig, ctx, objects, waiting, mounts }));
    };

    // Init containers: one at a time, each must exit 0 before the next starts.
    for (const c of pod.spec?.initContainers ?? []) {
      const insts = instancesOf(rt, c.name).filter((x) => x.pod_sandbox_id === sandboxId);
      const latest = insts[0];
      if (latest?.state === 'CONTAINER_EXITED' && latest.exit_code === 0) continue;
      if (latest?.state === 'CONTAINER_RUNNING') return done(rt);
      const attempt = await this.prepareRestart(pod, c, insts, waiting, later);
      if (attempt === undefined) return done(rt);
      await start(c, attempt);
      return done(await this.podRuntime(uid));
    }

    const running: RunningContainer[] = [];
    const policy = pod.spec?.restartPolicy ?? 'Always';
    for (const c of pod.spec?.containers ?? []) {
      const insts = instancesOf(rt, c.name).filter((x) => x.pod_sandbox_id === sandboxId);
      const latest = insts[0];
      if (latest?.state === 'CONTAINER_RUNNING') {
        const failed = this.d.probes.failed(latest.id);
        if (!failed) { running.push({ spec: c, id: latest.id, startedAtMs: nsToMs(latest.started_at) }); continue; }
        const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
        const what = failed === 'liveness' ? 'liveness' : 'startup';
        const then = policy === 'Never' ? '' : ', will be restarted';
        await stopContainer(this.cri, this.events, pod, c, latest.id, grace, `Container ${c.name} failed ${what} probe${then}`, ctx.podIP);
        later(50);
        continue;
      }
      if (latest?.state === 'CONTAINER_EXITED' && !(policy === 'Always' || (policy === 'OnFailure' && latest.exit_code !== 0))) continue;
      const attempt = await this.prepareRestart(pod, c, insts, waiting, later);
      if (attempt === undefined) continue;
      await start(c, attempt);
    }
    this.d.probes.sync(pod, running, ctx.podIP);
    return done(await this.podRuntime(uid));
  }

  /** Decides whether a dead or missing container may start now (CrashLoopBackOff); cleans old instances. Returns its next attempt. */
  private async prepareRestart(pod: Pod, c: Container, insts: RuntimeContainer[], waiting: Map<string, Waiting>, later: (ms: number) => void): Promise<number | undefined> {
    const latest = insts[0];
    if (!latest) return 0;
    const uid = pod.metadata!.uid!;
    if (latest.state === 'CONTAINER_EXITED') {
      if ((pod.spec?.restartPolicy ?? 'Always') === 'Never') return undefined;
      const key = `${uid}/${c.name}`;
      const finished = nsToMs(latest.finished_at) || Date.now();
      if (this.restartBackoff.inBackoffSince(key, finished)) {
        const m = pod.metadata!;
        waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(this.restartBackoff.get(key) / 1000)}s restarting failed container=${c.name} pod=${m.name}_${m.namespace}(${uid})` });
        this.events.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', fieldPath(pod, c));
        later(this.restartBackoff.remaining(key, finished) + 50);
        return undefined;
      }
      this.restartBackoff.next(key);
    }
    // Keep only the newest dead instance (it becomes lastState); created-but-unstarted ones go too.
    for (const old of insts.slice(latest.state === 'CONTAINER_EXITED' ? 1 : 0)) await this.cri.removeContainer(old.id).catch(skipGone);
    return (latest.metadata?.attempt ?? 0) + 1;
  }

  /** Stops every container (preStop, grace period), then the sandboxes; removes cgroups, logs, volumes. */
  async killPod(uid: string, pod: Pod | undefined, graceSeconds: number): Promise<void> {
    this.d.probes.removePod(uid);
    const rt = await this.podRuntime(uid);
    const podIP = readySandbox(rt)?.network?.ip ?? '';
    await Promise.all(rt.containers.filter((c) => c.state === 'CONTAINER_RUNNING').map(async (c) => {
      const spec = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find((s) => s.name === c.metadata?.name);
      await stopContainer(this.cri, this.events, pod, spec, c.id, graceSeconds, undefined, podIP);
    }));
    for (const s of rt.sandboxes) await this.removeSandbox(s.id);
    removePodCgroups(podCgroupParent(this.cfg, uid));
    if (pod) rmSync(podLogDir(this.cfg, pod), { recursive: true, force: true });
    this.d.volumes.tearDown(uid);
    this.restartBackoff.resetPrefix(`${uid}/`);
    this.images.forgetPod(uid);
  }

  private async removeSandbox(id: string): Promise<void> {
    await this.cri.stopPodSandbox(id).catch(skipGone);
    await this.cri.removePodSandbox(id).catch(skipGone);
  }
}

function skipGone(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
