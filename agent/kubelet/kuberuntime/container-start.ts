// Starting and stopping one container (upstream's startContainer / killContainer): image,
// CreateContainer from the spec (env, mounts), StartContainer, the postStart hook; and on the
// way out the preStop hook, then StopContainer with what is left of the grace period
// (SIGTERM, then SIGKILL from the runtime). Failures become waiting reasons and events.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { CriRuntime } from '../../cri/runtime.js';
import type { MountIn, PodSandboxConfigIn } from '../../cri/types.js';
import { isNotFound } from '../../cri/client.js';
import type { ObjectLookup } from '../configmap/object-cache.js';
import type { EventRecorder } from '../events/recorder.js';
import { ImagePullError, type ImageManager } from '../images/image-manager.js';
import { runHandler } from '../lifecycle/handlers.js';
import type { Waiting } from '../status/pod-status.js';
import { ContainerConfigError, containerConfig, type RuntimeContext } from './container-config.js';

export const fieldPath = (pod: Pod, c: Container) =>
  (pod.spec?.initContainers ?? []).some((x) => x.name === c.name) ? `spec.initContainers{${c.name}}` : `spec.containers{${c.name}}`;

export interface StartArgs {
  pod: Pod;
  c: Container;
  attempt: number;
  sandboxId: string;
  sbConfig: PodSandboxConfigIn;
  ctx: RuntimeContext;
  objects: ObjectLookup;
  mounts: MountIn[];
  waiting: Map<string, Waiting>;
}

/** Image, create, start, postStart; records why it could not. Returns a retry delay (0 = none needed). */
export async function startContainer(cri: CriRuntime, images: ImageManager, events: EventRecorder, a: StartArgs): Promise<number> {
  const { pod, c, waiting } = a;
  const fp = fieldPath(pod, c);
  let image: string;
  try {
    image = await images.ensure(pod, c, a.sbConfig, {
      pulling: (img) => events.event(pod, 'Normal', 'Pulling', `Pulling image "${img}"`, fp),
      pulled: (img, ms, present) => events.event(pod, 'Normal', 'Pulled', present
        ? `Container image "${img}" already present on machine`
        : `Successfully pulled image "${img}" in ${ms}ms`, fp),
      failed: (_img, err) => {
        events.event(pod, 'Warning', err.reason === 'ErrImageNeverPull' ? err.reason : 'Failed', err.message, fp); // upstream's ErrImageNeverPullPolicy event
        events.event(pod, 'Warning', 'Failed', `Error: ${err.reason}`, fp);
      },
    });
  } catch (err) {
    if (!(err instanceof ImagePullError)) throw err;
    waiting.set(c.name, { reason: err.reason, message: err.message });
    if (err.reason === 'ImagePullBackOff') events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`, fp);
    return err.retryAfterMs > 0 ? err.retryAfterMs + 50 : 0;
  }
  let id: string;
  try {
    const config = containerConfig(pod, c, a.attempt, image, a.ctx, { objects: a.objects, mounts: a.mounts });
    id = await cri.createContainer(a.sandboxId, config, a.sbConfig);
  } catch (err) {
    const reason = err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
    waiting.set(c.name, { reason, message: (err as Error).message });
    events.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`, fp);
    return 5_000;
  }
  events.event(pod, 'Normal', 'Created', `Created container ${c.name}`, fp);
  try {
    await cri.startContainer(id);
  } catch (err) {
    waiting.set(c.name, { reason: 'RunContainerError', message: (err as Error).message });
    events.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`, fp);
    return 0; // the exited container is restarted with back-off by the next sync
  }
  events.event(pod, 'Normal', 'Started', `Started container ${c.name}`, fp);
  const post = c.lifecycle?.postStart;
  if (post) {
    const out = await runHandler(post, { podIP: a.ctx.podIP, containerId: id, container: c, cri }, 30);
    if (!out.ok) {
      events.event(pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${out.output}`, fp);
      await stopContainer(cri, events, pod, c, id, pod.spec?.terminationGracePeriodSeconds ?? 30, 'FailedPostStartHook');
    }
  }
  return 0;
}

/** preStop hook, then StopContainer with the remaining grace (at least 2 s, as upstream). */
export async function stopContainer(cri: CriRuntime, events: EventRecorder, pod: Pod | undefined, c: Container | undefined,
  id: string, graceSeconds: number, why?: string, podIP = ''): Promise<void> {
  const t0 = Date.now();
  if (pod && c) {
    events.event(pod, 'Normal', 'Killing', why ?? `Stopping container ${c.name}`, fieldPath(pod, c));
    const pre = c.lifecycle?.preStop;
    if (pre && graceSeconds > 0) {
      const out = await runHandler(pre, { podIP, containerId: id, container: c, cri }, graceSeconds);
      if (!out.ok) events.event(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${out.output}`, fieldPath(pod, c));
    }
  }
  const left = graceSeconds <= 0 ? 0 : Math.max(2, Math.ceil(graceSeconds - (Date.now() - t0) / 1000));
  await cri.stopContainer(id, left).catch((err) => { if (!isNotFound(err)) throw err; });
}
