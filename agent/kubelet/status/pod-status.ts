// Computes a pod's API status (phase, conditions, containerStatuses, IPs, times) from what the
// runtime reports, the way upstream's kubelet does in generateAPIPodStatus. Pure: the pod
// workers gather the inputs, this decides, status-manager writes.
import type { Container, ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, PodSandboxStatus } from '../../cri/types.js';
import { nsToTime, rfc3339 } from '../util/time.js';
import { qosClass } from './qos.js';

/** The runtime's view of one pod: its sandboxes and every container instance, any order. */
export interface RuntimePod {
  sandboxes: PodSandboxStatus[];
  containers: RuntimeContainer[];
}

/** A container instance's CRI status plus the sandbox it lives in (from ListContainers). */
export type RuntimeContainer = ContainerStatus & { pod_sandbox_id?: string };

/** Why a container is not running, decided by the pod worker (ErrImagePull, CrashLoopBackOff …). */
export interface Waiting { reason: string; message?: string }

export interface StatusInput {
  pod: Pod;
  runtime: RuntimePod;
  waiting: Map<string, Waiting>;
  hostIP: string;
  /** containerID scheme: "containerd", "docker" … from CRI Version. */
  runtimeName: string;
  /** Probe results (readiness, startup); without it a running container is ready. */
  probes?: ProbeView;
  now?: number;
}

export interface ProbeView { ready(containerId: string, spec: Container): boolean; started(containerId: string, spec?: Container): boolean }

const newestFirst = <T extends { created_at: string }>(xs: T[]): T[] =>
  [...xs].sort((a, b) => (BigInt(b.created_at) > BigInt(a.created_at) ? 1 : BigInt(b.created_at) < BigInt(a.created_at) ? -1 : 0));

/** Instances of one container, newest attempt first. */
export function instancesOf(runtime: RuntimePod, name: string): RuntimeContainer[] {
  return newestFirst(runtime.containers.filter((c) => c.metadata?.name === name))
    .sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0));
}

/** The newest sandbox that is ready, if any. */
export function readySandbox(runtime: RuntimePod): PodSandboxStatus | undefined {
  return newestFirst(runtime.sandboxes).find((s) => s.state === 'SANDBOX_READY');
}

function terminated(c: ContainerStatus, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: c.exit_code,
      reason: c.reason || (c.exit_code === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: nsToTime(c.started_at),
      finishedAt: nsToTime(c.finished_at),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function statusesOf(specs: Container[], input: StatusInput, init: boolean, pending = 'ContainerCreating'): ApiContainerStatus[] {
  const { runtime, waiting, runtimeName, probes } = input;
  return specs.map((spec) => {
    const [latest, previous] = instancesOf(runtime, spec.name);
    const w = waiting.get(spec.name);
    const waitState = (def: string): ContainerState => ({ waiting: { reason: w?.reason ?? def, ...(w?.message ? { message: w.message } : {}) } });
    const base: ApiContainerStatus = { name: spec.name, image: spec.image ?? '', imageID: '', ready: false, restartCount: 0, started: false };
    if (!latest) return { ...base, state: waitState(init ? 'PodInitializing' : pending), lastState: {} };
    const common = { ...base, imageID: latest.image_ref, containerID: `${runtimeName}://${latest.id}`, restartCount: latest.metadata?.attempt ?? 0 };
    const last = previous?.state === 'CONTAINER_EXITED' ? terminated(previous, runtimeName) : {};
    switch (latest.state) {
      case 'CONTAINER_RUNNING': {
        const started = init || !probes || probes.started(latest.id, spec);
        const ready = !init && (!probes || probes.ready(latest.id, spec));
        return { ...common, ready, started, state: { running: { startedAt: nsToTime(latest.started_at) } }, lastState: last };
      }
      case 'CONTAINER_EXITED':
        if (w) return { ...common, state: waitState(w.reason), lastState: terminated(latest, runtimeName) };
        return { ...common, ready: init && latest.exit_code === 0, state: terminated(latest, runtimeName), lastState: last };
      default:
        return { ...common, state: waitState(init ? 'PodInitializing' : pending), lastState: last };
    }
  });
}

export function containerStatuses(input: StatusInput, inits?: ApiContainerStatus[]): ApiContainerStatus[] {
  const pending = inits && !initialized(inits) ? 'PodInitializing' : 'ContainerCreating';
  return statusesOf(input.pod.spec?.containers ?? [], input, false, pending);
}

export function initContainerStatuses(input: StatusInput): ApiContainerStatus[] {
  return statusesOf(input.pod.spec?.initContainers ?? [], input, true);
}

/** Init containers all completed with exit 0. */
export function initialized(statuses: ApiContainerStatus[]): boolean {
  return statuses.every((s) => s.state?.terminated?.exitCode === 0);
}

/** Upstream's getPhase: init containers first, then the app containers and restartPolicy. */
export function podPhase(pod: Pod, statuses: ApiContainerStatus[], inits: ApiContainerStatus[] = []): string {
  const prev = pod.status?.phase;
  if (prev === 'Succeeded' || prev === 'Failed') return prev;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (!initialized(inits)) {
    const failed = inits.some((s) => (s.state?.terminated?.exitCode ?? 0) !== 0 || (s.lastState?.terminated && s.state?.waiting && (s.lastState.terminated.exitCode ?? 0) !== 0));
    return failed && policy === 'Never' ? 'Failed' : 'Pending';
  }
  let waiting = 0, running = 0, stopped = 0, succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'OnFailure' ? 'Running' : 'Failed';
  }
  return 'Pending';
}

function condition(pod: Pod, type: string, ok: boolean, now: string, reason?: string, message?: string): PodCondition {
  const old = pod.status?.conditions?.find((c) => c.type === type);
  const status = ok ? 'True' : 'False';
  return {
    type, status,
    lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
    ...(!ok && reason ? { reason } : {}), ...(!ok && message ? { message } : {}),
  };
}

export function computePodStatus(input: StatusInput): PodStatus {
  const { pod, runtime, hostIP } = input;
  const now = rfc3339(input.now);
  const inits = initContainerStatuses(input);
  const statuses = containerStatuses(input, inits);
  const phase = podPhase(pod, statuses, inits);
  const isInit = initialized(inits);
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const ready = unready.length === 0 && !terminal && isInit;
  const notReadyMsg = `containers with unready status: [${unready.join(' ')}]`;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const sb = readySandbox(runtime) ?? newestFirst(runtime.sandboxes)[0];
  const podIP = pod.spec?.hostNetwork ? hostIP : sb?.network?.ip || pod.status?.podIP || '';
  const podIPs = pod.spec?.hostNetwork ? [hostIP] : podIP ? [podIP, ...(sb?.network?.additional_ips ?? []).map((x) => x.ip)] : [];
  return {
    phase,
    conditions: [
      condition(pod, 'Initialized', isInit, now, 'ContainersNotInitialized',
        `containers with incomplete status: [${inits.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name).join(' ')}]`),
      condition(pod, 'Ready', ready, now, terminal ? 'PodCompleted' : 'ContainersNotReady', terminal ? undefined : notReadyMsg),
      condition(pod, 'ContainersReady', ready, now, terminal ? 'PodCompleted' : 'ContainersNotReady', terminal ? undefined : notReadyMsg),
      scheduled ?? { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    ...(podIP ? { podIP, podIPs: podIPs.map((ip) => ({ ip })) } : {}),
    startTime: pod.status?.startTime ?? now,
    containerStatuses: statuses,
    ...(inits.length ? { initContainerStatuses: inits } : {}),
    qosClass: qosClass(pod),
  };
}
