// The CRI as the kubelet sees it: RuntimeService and ImageService as promise-returning methods.
// Every runtime (containerd's CRI plugin, our dockershim) is reached through these interfaces;
// request/response types are the generated runtime.v1 messages (proto/gen, snake_case fields).
import type * as gen from './types.js';

export interface RuntimeService {
  version(): Promise<gen.VersionResponse>;
  status(verbose?: boolean): Promise<gen.StatusResponse>;
  runPodSandbox(config: gen.PodSandboxConfigIn, runtimeHandler?: string): Promise<string>;
  stopPodSandbox(podSandboxId: string): Promise<void>;
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string, verbose?: boolean): Promise<gen.PodSandboxStatusResponse>;
  listPodSandbox(filter?: gen.PodSandboxFilterIn): Promise<gen.PodSandbox[]>;
  createContainer(podSandboxId: string, config: gen.ContainerConfigIn, sandboxConfig: gen.PodSandboxConfigIn): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  /** Makes the runtime reopen the container's log file (after the kubelet renamed it to rotate it). */
  reopenContainerLog(containerId: string): Promise<void>;
  listContainers(filter?: gen.ContainerFilterIn): Promise<gen.Container[]>;
  containerStatus(containerId: string, verbose?: boolean): Promise<gen.ContainerStatusResponse>;
  execSync(containerId: string, cmd: string[], timeoutSeconds?: number): Promise<gen.ExecSyncResponse>;
  exec(req: gen.ExecRequestIn): Promise<string>;
  attach(req: gen.AttachRequestIn): Promise<string>;
  portForward(podSandboxId: string, ports: number[]): Promise<string>;
  containerStats(containerId: string): Promise<gen.ContainerStats | null>;
  listContainerStats(filter?: gen.ContainerStatsFilterIn): Promise<gen.ContainerStats[]>;
}

export interface ImageService {
  listImages(filter?: gen.ImageSpecIn): Promise<gen.Image[]>;
  /** The image if present, null if not. */
  imageStatus(image: gen.ImageSpecIn): Promise<gen.Image | null>;
  /** Returns the image reference (its id) as the runtime knows it. */
  pullImage(image: gen.ImageSpecIn, auth?: gen.AuthConfigIn, sandboxConfig?: gen.PodSandboxConfigIn): Promise<string>;
  removeImage(image: gen.ImageSpecIn): Promise<void>;
  imageFsInfo(): Promise<gen.ImageFsInfoResponse>;
}

/** A connection to one runtime endpoint, serving both services. */
export interface CriRuntime extends RuntimeService, ImageService {
  readonly endpoint: string;
  close(): void;
}
