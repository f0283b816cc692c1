// Drives one pod to its spec through CRI (upstream's kuberuntime manager, SyncPod/KillPod):
// a ready sandbox (recreated if it died), then each container created and started from its
// image, restarted per restartPolicy with CrashLoopBackOff. It reports why containers wait;
// status computation and writing are status/'s job.
import { mkdirSync, rmSync } from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../cri/client.js';
import type { CriRuntime } from '../../cri/runtime.js';
import type { PodSandboxConfigIn } from '../../cri/types.js';
import type { KubeletConfig } from '../config.js';
import { removePodCgroups } from '../cm/pod-cgroups.js';
import type { EventRecorder } from '../events/recorder.js';
import { ImageManager, ImagePullError } from '../images/image-manager.js';
import { instancesOf, readySandbox, type RuntimePod, type Waiting } from '../status/pod-status.js';
import { Backoff } from '../util/backoff.js';
import { nsToMs } from '../util/time.js';
import { containerConfig } from './container-config.js';
import { POD_UID } from './labels.js';
import { podCgroupParent, podLogDir, sandboxConfig } from './sandbox-config.js';

export interface SyncResult {
  runtime: RuntimePod;
  waiting: Map<string, Waiting>;
  /** Sync again after this many ms (back-off expiry), 0 = only on the next event. */
  requeueAfterMs: number;
}

const fieldPath = (c: Container) => `spec.containers{${c.name}}`;

export class RuntimeManager {
  readonly images: ImageManager;
  readonly restartBackoff = new Backoff(10_000, 300_000);

  constructor(private readonly cri: CriRuntime, private readonly cfg: KubeletConfig, private readonly events: EventRecorder) {
    this.images = new ImageManager(cri);
  }

  /** Every sandbox and container instance the runtime has for a pod uid. */
  async podRuntime(uid: string): Promise<RuntimePod> {
    const sel = { label_selector: { [POD_UID]: uid } };
    const [sbs, cs] = await Promise.all([this.cri.listPodSandbox(sel), this.cri.listContainers(sel)]);
    const sandboxes = (await Promise.all(sbs.map((s) => this.cri.podSandboxStatus(s.id).then((r) => r.status, skipGone)))).filter((s) => s != null);
    const containers = (await Promise.all(cs.map((c) => this.cri.containerStatus(c.id).then((r) => r.status && { ...r.status, pod_sandbox_id: c.pod_sandbox_id }, skipGone)))).filter((c) => c != null);
    return { sandboxes, containers };
  }

  async syncPod(pod: Pod, hostIP: string): Promise<SyncResult> {
    const uid = pod.metadata!.uid!;
    const waiting = new Map<string, Waiting>();
    let requeue = Infinity;
    let rt = await this.podRuntime(uid);
    let sb = readySandbox(rt);
    const containers = pod.spec?.containers ?? [];
    const policy = pod.spec?.restartPolicy ?? 'Always';

    if (!sb) {
      // Done pods (policy Never/OnFailure, everything exited) do not get a new sandbox.
      const done = rt.sandboxes.length > 0 && containers.every((c) => {
        const last = instancesOf(rt, c.name)[0];
        return last?.state === 'CONTAINER_EXITED' && (policy === 'Never' || (policy === 'OnFailure' && last.exit_code === 0));
      });
      if (done) return { runtime: rt, waiting, requeueAfterMs: 0 };
      const attempt = rt.sandboxes.reduce((n, s) => Math.max(n, (s.metadata?.attempt ?? 0) + 1), 0);
      for (const old of rt.sandboxes) await this.removeSandbox(old.id);
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
    const sbConfig = sandboxConfig(this.cfg, pod, sb.metadata?.attempt ?? 0);
    const ctx = { podIP: sb.network?.ip ?? '', hostIP, nodeName: this.cfg.nodeName };

    for (const c of containers) {
      const insts = instancesOf(rt, c.name).filter((x) => x.pod_sandbox_id === sb.id);
      const latest = insts[0];
      let attempt = 0;
      if (latest?.state === 'CONTAINER_RUNNING') continue;
      if (latest?.state === 'CONTAINER_EXITED' || latest?.state === 'CONTAINER_CREATED' || latest?.state === 'CONTAINER_UNKNOWN') {
        if (latest.state === 'CONTAINER_EXITED') {
          const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exit_code !== 0);
          if (!restart) continue;
          const key = `${uid}/${c.name}`;
          const finished = nsToMs(latest.finished_at) || Date.now();
          if (this.restartBackoff.inBackoffSince(key, finished)) {
            const left = this.restartBackoff.remaining(key, finished);
            waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(this.restartBackoff.get(key) / 1000)}s restarting failed container=${c.name} pod=${pod.metadata!.name}_${pod.metadata!.namespace}(${uid})` });
            this.events.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', fieldPath(c));
            requeue = Math.min(requeue, left + 50);
            continue;
          }
          this.restartBackoff.next(key);
        }
        attempt = (latest.metadata?.attempt ?? 0) + 1;
        // Keep only the newest dead instance (it becomes lastState); created-but-unstarted ones go too.
        for (const old of insts.slice(latest.state === 'CONTAINER_EXITED' ? 1 : 0)) await this.cri.removeContainer(old.id).catch(skipGone);
      }
      const r = await this.startContainer(pod, c, attempt, sb.id, sbConfig, ctx, waiting);
      if (r > 0) requeue = Math.min(requeue, r);
    }
    return { runtime: await this.podRuntime(uid), waiting, requeueAfterMs: requeue === Infinity ? 0 : requeue };
  }

  /** Image, create, start; records why it could not. Returns a retry delay (0 = none needed). */
  private async startContainer(pod: Pod, c: Container, attempt: number, sandboxId: string, sbConfig: PodSandboxConfigIn,
    ctx: { podIP: string; hostIP: string; nodeName: string }, waiting: Map<string, Waiting>): Promise<number> {
    const fp = fieldPath(c);
    let image: string;
    try {
      image = await this.images.ensure(pod, c, sbConfig, {
        pulling: (img) => this.events.event(pod, 'Normal', 'Pulling', `Pulling image "${img}"`, fp),
        pulled: (img, ms, present) => this.events.event(pod, 'Normal', 'Pulled', present
          ? `Container image "${img}" already present on machine`
          : `Successfully pulled image "${img}" in ${ms}ms`, fp),
        failed: (_img, err) => {
          this.events.event(pod, 'Warning', 'Failed', err.message, fp);
          this.events.event(pod, 'Warning', 'Failed', `Error: ${err.reason}`, fp);
        },
      });
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      waiting.set(c.name, { reason: err.reason, message: err.message });
      if (err.reason === 'ImagePullBackOff') this.events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`, fp);
      return err.retryAfterMs > 0 ? err.retryAfterMs + 50 : 0;
    }
    let id: string;
    try {
      id = await this.cri.createContainer(sandboxId, containerConfig(pod, c, attempt, image, ctx), sbConfig);
    } catch (err) {
      const reason = err instanceof Error && /fieldRef|env /.test(err.message) ? 'CreateContainerConfigError' : 'CreateContainerError';
      waiting.set(c.name, { reason, message: (err as Error).message });
      this.events.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`, fp);
      return 10_000;
    }
    this.events.event(pod, 'Normal', 'Created', `Created container ${c.name}`, fp);
    try {
      await this.cri.startContainer(id);
    } catch (err) {
      waiting.set(c.name, { reason: 'RunContainerError', message: (err as Error).message });
      this.events.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`, fp);
      return 0; // the exited container is restarted with back-off by the next sync
    }
    this.events.event(pod, 'Normal', 'Started', `Started container ${c.name}`, fp);
    return 0;
  }

  /** Stops every container (grace period), then stops and removes the sandboxes, cgroups and logs. */
  async killPod(uid: string, pod: Pod | undefined, graceSeconds: number): Promise<void> {
    const rt = await this.podRuntime(uid);
    await Promise.all(rt.containers.filter((c) => c.state === 'CONTAINER_RUNNING').map(async (c) => {
      const spec = pod?.spec?.containers.find((s) => s.name === c.metadata?.name);
      if (pod && spec) this.events.event(pod, 'Normal', 'Killing', `Stopping container ${spec.name}`, fieldPath(spec));
      await this.cri.stopContainer(c.id, graceSeconds).catch(skipGone);
    }));
    for (const s of rt.sandboxes) await this.removeSandbox(s.id);
    removePodCgroups(podCgroupParent(this.cfg, uid));
    if (pod) rmSync(podLogDir(this.cfg, pod), { recursive: true, force: true });
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
