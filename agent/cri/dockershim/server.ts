// The dockershim gRPC server: runtime.v1 RuntimeService + ImageService on a unix socket, each
// call delegated to the sandbox/container/image/stats/streaming services over dockerode.
// Errors become gRPC statuses with dockerd's message (never a crash), and are logged.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Docker from 'dockerode';
import { logger } from '../../../control/client/log.js';
import { criPackage } from '../client.js';
import { CniRunner } from './cni.js';
import { toGrpcError, type ShimContext, type ShimOptions } from './context.js';
import { ContainerService } from './container.js';
import { execSync } from './exec.js';
import { ImageService } from './image.js';
import { SandboxService } from './sandbox.js';
import { StatsProvider } from './stats.js';
import { StreamingServer } from './streaming.js';

export const RUNTIME_NAME = 'docker';

export interface DockershimOptions extends Partial<ShimOptions> {
  /** unix:///var/run/docker.sock */
  dockerEndpoint: string;
  /** unix:///run/tskube/dockershim.sock */
  listen: string;
}

export interface Dockershim { endpoint: string; streamingUrl: string; stop(): Promise<void> }

function socketPath(endpoint: string, what: string): string {
  if (!endpoint.startsWith('unix://')) throw new Error(`${what} must be unix:///path, got ${endpoint}`);
  return endpoint.slice('unix://'.length);
}

type Handler = (req: any) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function startDockershim(o: DockershimOptions): Promise<Dockershim> {
  const opts: ShimOptions = {
    rootDir: o.rootDir ?? '/var/lib/tskube/dockershim',
    podSandboxImage: o.podSandboxImage ?? 'docker.io/library/pause:3.9',
    cniConfDir: o.cniConfDir ?? '/etc/cni/net.d',
    cniBinDirs: o.cniBinDirs ?? ['/opt/cni/bin', '/usr/lib/cni'],
    streamingAddress: o.streamingAddress ?? '127.0.0.1:0',
    ...(o.cgroupRoot ? { cgroupRoot: o.cgroupRoot } : {}),
  };
  const log = logger('dockershim');
  const docker = new Docker({ socketPath: socketPath(o.dockerEndpoint, '--docker-endpoint') });
  const c: ShimContext = { docker, opts, cni: new CniRunner(opts.cniConfDir, opts.cniBinDirs), log };
  mkdirSync(opts.rootDir, { recursive: true });
  const images = new ImageService(c);
  const sandboxes = new SandboxService(c, images);
  const containers = new ContainerService(c, sandboxes);
  const stats = new StatsProvider(c, containers);
  const streaming = new StreamingServer(c);
  const streamingUrl = await streaming.start();

  const runtime: Record<string, Handler> = {
    Version: async () => {
      const v = await docker.version();
      return { version: '0.1.0', runtime_name: RUNTIME_NAME, runtime_version: v.Version, runtime_api_version: 'v1' };
    },
    Status: async () => {
      const up = await docker.ping().then(() => true, () => false);
      const net = c.cni.ready();
      return { status: { conditions: [
        { type: 'RuntimeReady', status: up, reason: up ? '' : 'DockerDaemonNotReady', message: up ? '' : 'docker: failed to get docker version' },
        { type: 'NetworkReady', status: net, reason: net ? '' : 'NetworkPluginNotReady', message: net ? '' : 'docker: network plugin is not ready: cni config uninitialized' },
      ] }, info: {} };
    },
    RunPodSandbox: async (r) => ({ pod_sandbox_id: await sandboxes.run(r.config ?? {}) }),
    StopPodSandbox: async (r) => { await sandboxes.stop(r.pod_sandbox_id); return {}; },
    RemovePodSandbox: async (r) => { await sandboxes.remove(r.pod_sandbox_id); return {}; },
    PodSandboxStatus: (r) => sandboxes.status(r.pod_sandbox_id, r.verbose),
    ListPodSandbox: async (r) => ({ items: await sandboxes.list(r.filter ?? undefined) }),
    CreateContainer: async (r) => ({ container_id: await containers.create(r.pod_sandbox_id, r.config ?? {}, r.sandbox_config ?? {}) }),
    StartContainer: async (r) => { await containers.start(r.container_id); return {}; },
    StopContainer: async (r) => { await containers.stop(r.container_id, Number(r.timeout ?? 0)); return {}; },
    RemoveContainer: async (r) => { await containers.remove(r.container_id); return {}; },
    ListContainers: async (r) => ({ containers: await containers.list(r.filter ?? undefined) }),
    ContainerStatus: async (r) => ({ status: await containers.status(r.container_id), info: {} }),
    ExecSync: async (r) => { const i = await containers.inspect(r.container_id); return execSync(docker, i.Id, r.cmd, Number(r.timeout ?? 0)); },
    Exec: async (r) => {
      const i = await containers.inspect(r.container_id);
      return { url: streaming.url({ kind: 'exec', containerId: i.Id, cmd: r.cmd, io: { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty } }) };
    },
    Attach: async (r) => {
      const i = await containers.inspect(r.container_id);
      return { url: streaming.url({ kind: 'attach', containerId: i.Id, io: { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty } }) };
    },
    PortForward: async (r) => {
      await sandboxes.status(r.pod_sandbox_id, false);
      return { url: streaming.url({ kind: 'portforward', sandboxPid: () => sandboxes.pid(r.pod_sandbox_id) }) };
    },
    ContainerStats: async (r) => {
      const [ctr] = await containers.list({ id: r.container_id });
      if (!ctr) await containers.inspect(r.container_id); // NOT_FOUND
      return { stats: ctr ? await stats.stats(ctr) : null };
    },
    ListContainerStats: async (r) => ({ stats: await stats.list(r.filter ?? undefined) }),
  };
  const image: Record<string, Handler> = {
    ListImages: async (r) => ({ images: await images.listImages(r.filter?.image?.image || undefined) }),
    ImageStatus: async (r) => ({ image: await images.imageStatus(r.image?.image ?? ''), info: {} }),
    PullImage: async (r) => ({ image_ref: await images.pullImage(r.image?.image ?? '', r.auth ?? undefined) }),
    RemoveImage: async (r) => { await images.removeImage(r.image?.image ?? ''); return {}; },
    ImageFsInfo: () => images.imageFsInfo(),
  };

  const wrap = (handlers: Record<string, Handler>) => Object.fromEntries(Object.entries(handlers).map(([name, fn]) => [name,
    (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const t0 = Date.now();
      Promise.resolve().then(() => fn(call.request)).then((res) => {
        log.debug({ method: name, ms: Date.now() - t0 }, 'CRI call');
        cb(null, res);
      }, (err: unknown) => {
        const e = toGrpcError(err);
        const lvl = e.code === grpc.status.NOT_FOUND ? 'debug' : 'warn';
        log[lvl]({ method: name, code: grpc.status[e.code], err: e.details, ms: Date.now() - t0 }, 'CRI call failed');
        cb({ code: e.code, details: e.details, metadata: new grpc.Metadata() } as grpc.ServiceError);
      });
    }]));

  const pkg = criPackage().runtime.v1;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(pkg.RuntimeService.service, wrap(runtime));
  server.addService(pkg.ImageService.service, wrap(image));
  const sock = socketPath(o.listen, '--listen');
  mkdirSync(dirname(sock), { recursive: true });
  rmSync(sock, { force: true });
  await new Promise<void>((resolve, reject) => server.bindAsync(o.listen, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  log.info({ listen: o.listen, docker: o.dockerEndpoint, streaming: streamingUrl, cniConfDir: opts.cniConfDir }, 'dockershim serving CRI');
  return {
    endpoint: o.listen, streamingUrl,
    stop: async () => {
      streaming.stop();
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      rmSync(sock, { force: true });
    },
  };
}
