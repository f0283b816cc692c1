// Shared by the kubelet server's plain handlers and its streaming upgrades: what the server
// needs from the kubelet (ServerDeps), HTTP errors with a status code, and finding the pod and
// the container instance a request names.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../../control/client/log.js';
import type { CriRuntime } from '../../cri/runtime.js';
import type { RuntimeManager } from '../kuberuntime/runtime-manager.js';
import type { KubeletMetrics } from '../metrics.js';
import { instancesOf, type RuntimeContainer } from '../status/pod-status.js';

export interface ServerDeps {
  metrics: KubeletMetrics;
  pods(): Pod[];
  pod(namespace: string, name: string): Pod | undefined;
  healthy(): boolean;
  cri?: CriRuntime;
  runtime?: RuntimeManager;
  /** Summary API (stats/summary); absent = 404. */
  summary?(): Promise<unknown>;
  log: Logger;
}

export class HttpError extends Error { constructor(readonly code: number, message: string) { super(message); } }

export const seg = (p: string) => p.split('/').filter(Boolean).map(decodeURIComponent);

export function findPod(d: ServerDeps, ns: string | undefined, name: string | undefined): Pod {
  const pod = ns && name ? d.pod(ns, name) : undefined;
  if (!pod) throw new HttpError(404, `pod "${name}" not found in namespace "${ns}" on this node`);
  return pod;
}

/** The running (or, with previous, the last terminated) instance of a container. */
export async function findContainer(d: ServerDeps, pod: Pod, name: string, previous = false): Promise<RuntimeContainer> {
  const known = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) => c.name === name);
  if (!known) throw new HttpError(400, `container ${name} is not valid for pod ${pod.metadata?.name}`);
  const rt = await d.runtime!.podRuntime(pod.metadata!.uid!);
  const insts = instancesOf(rt, name);
  const inst = previous ? insts[1] : insts[0];
  if (!inst) {
    throw new HttpError(previous ? 400 : 400, previous
      ? `previous terminated container "${name}" in pod "${pod.metadata?.name}" not found`
      : `container "${name}" in pod "${pod.metadata?.name}" is waiting to start: ContainerCreating`);
  }
  return inst;
}
