// CRI client over gRPC: connectCri('unix:///run/x.sock') returns a CriRuntime whose methods are
// promises with a deadline per call. It waits for the socket file first (grpc-js backs off ~1 s
// when the path is missing) and then for Version to answer, so callers get a usable runtime.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from '../../proto/gen/api.js';
import type { CriRuntime } from './runtime.js';
import type * as gen from './types.js';

/** Must match the flags in proto/generate.sh, which shape the generated types. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
};

const CALL_TIMEOUT_MS = 10_000;
const PULL_TIMEOUT_MS = 5 * 60_000;

/** A failed CRI call: gRPC status code (grpc.status) plus the runtime's message. */
export class CriError extends Error {
  constructor(readonly method: string, readonly code: number, readonly details: string) {
    super(`CRI ${method}: ${details} (${grpc.status[code] ?? code})`);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === grpc.status.NOT_FOUND;
}

/** Finds proto/cri/api.proto walking up from this file (works from the source and from dist/). */
export function protoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'proto', 'cri', 'api.proto');
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) throw new Error('proto/cri/api.proto not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/**
 * `longs: String` turns every int64 (created_at, stats) into a decimal string with Long#toString,
 * a long division in JavaScript (~30 µs each without a JIT): a third of an idle kubelet's CPU with
 * 30 pods, as the PLEG relists every second. BigInt gives the same digits natively.
 */
function fastDecimalLongs(): void {
  const proto = protoLoader.Long.prototype as { toString(radix?: number): string; high: number; low: number; unsigned: boolean };
  const slow = proto.toString;
  proto.toString = function (this: typeof proto, radix?: number) {
    if (radix !== undefined && radix !== 10) return slow.call(this, radix);
    const v = (BigInt(this.high >>> 0) << 32n) | BigInt(this.low >>> 0);
    return (this.unsigned ? v : BigInt.asIntN(64, v)).toString();
  };
}

let loaded: ProtoGrpcType | undefined;
/** The runtime.v1 package, loaded once per process. */
export function criPackage(): ProtoGrpcType {
  if (!loaded) fastDecimalLongs();
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(protoPath(), LOADER_OPTIONS)) as unknown as ProtoGrpcType;
  return loaded;
}

type Unary = (req: object, meta: grpc.Metadata, opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: unknown) => void) => grpc.ClientUnaryCall;

function call<T>(client: grpc.Client, method: string, req: object, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method];
  if (!fn) return Promise.reject(new Error(`CRI method ${method} missing from proto`));
  return new Promise<T>((resolve, reject) => {
    fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(new CriError(method, err.code, err.details || err.message));
      else resolve(res as T);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ConnectOptions {
  /** How long to wait for the socket to appear and Version to answer (default 30 s). */
  waitMs?: number;
}

export async function connectCri(endpoint: string, opts: ConnectOptions = {}): Promise<CriRuntime> {
  if (!endpoint.startsWith('unix://')) throw new Error(`unsupported CRI endpoint ${endpoint} (want unix:///path)`);
  const socket = endpoint.slice('unix://'.length);
  const until = Date.now() + (opts.waitMs ?? 30_000);
  while (!existsSync(socket)) {
    if (Date.now() > until) throw new Error(`CRI socket ${socket} did not appear`);
    await sleep(20);
  }
  const pkg = criPackage().runtime.v1;
  const channelOpts = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
  const rt = new pkg.RuntimeService(endpoint, grpc.credentials.createInsecure(), channelOpts);
  // The image service shares the runtime client's channel.
  const img = new pkg.ImageService(endpoint, grpc.credentials.createInsecure(), { ...channelOpts, channelOverride: rt.getChannel() });
  const cri = makeRuntime(endpoint, rt, img);
  for (;;) {
    try {
      await cri.version();
      return cri;
    } catch (err) {
      if (Date.now() > until) { cri.close(); throw err; }
      await sleep(50);
    }
  }
}

function makeRuntime(endpoint: string, rt: grpc.Client, img: grpc.Client): CriRuntime {
  const r = <T>(m: string, req: object, t?: number) => call<T>(rt, m, req, t);
  const i = <T>(m: string, req: object, t?: number) => call<T>(img, m, req, t);
  return {
    endpoint,
    close: () => { img.close(); rt.close(); },
    version: () => r('Version', { version: 'v1' }, 2_000),
    status: (verbose = false) => r('Status', { verbose }),
    runPodSandbox: async (config, runtime_handler = '') =>
      (await r<{ pod_sandbox_id: string }>('RunPodSandbox', { config, runtime_handler }, 4 * 60_000)).pod_sandbox_id,
    stopPodSandbox: async (pod_sandbox_id) => { await r('StopPodSandbox', { pod_sandbox_id }, 2 * 60_000); },
    removePodSandbox: async (pod_sandbox_id) => { await r('RemovePodSandbox', { pod_sandbox_id }, 2 * 60_000); },
    podSandboxStatus: (pod_sandbox_id, verbose = false) => r('PodSandboxStatus', { pod_sandbox_id, verbose }),
    listPodSandbox: async (filter) => (await r<{ items: gen.PodSandbox[] }>('ListPodSandbox', { filter })).items,
    createContainer: async (pod_sandbox_id, config, sandbox_config) =>
      (await r<{ container_id: string }>('CreateContainer', { pod_sandbox_id, config, sandbox_config }, 4 * 60_000)).container_id,
    startContainer: async (container_id) => { await r('StartContainer', { container_id }, 2 * 60_000); },
    stopContainer: async (container_id, timeout) => {
      await r('StopContainer', { container_id, timeout }, (timeout + 30) * 1000);
    },
    removeContainer: async (container_id) => { await r('RemoveContainer', { container_id }, 2 * 60_000); },
    reopenContainerLog: async (container_id) => { await r('ReopenContainerLog', { container_id }); },
    listContainers: async (filter) => (await r<{ containers: gen.Container[] }>('ListContainers', { filter })).containers,
    containerStatus: (container_id, verbose = false) => r('ContainerStatus', { container_id, verbose }),
    execSync: (container_id, cmd, timeout = 0) =>
      r('ExecSync', { container_id, cmd, timeout }, timeout > 0 ? (timeout + 10) * 1000 : 24 * 3600_000),
    exec: async (req) => (await r<{ url: string }>('Exec', req)).url,
    attach: async (req) => (await r<{ url: string }>('Attach', req)).url,
    portForward: async (pod_sandbox_id, port) => (await r<{ url: string }>('PortForward', { pod_sandbox_id, port })).url,
    containerStats: async (container_id) =>
      (await r<{ stats: gen.ContainerStats | null }>('ContainerStats', { container_id })).stats,
    listContainerStats: async (filter) => (await r<{ stats: gen.ContainerStats[] }>('ListContainerStats', { filter })).stats,
    listImages: async (image) => (await i<{ images: gen.Image[] }>('ListImages', { filter: image ? { image } : undefined })).images,
    imageStatus: async (image) => (await i<{ image: gen.Image | null }>('ImageStatus', { image })).image,
    pullImage: async (image, auth, sandbox_config) =>
      (await i<{ image_ref: string }>('PullImage', { image, auth, sandbox_config }, PULL_TIMEOUT_MS)).image_ref,
    removeImage: async (image) => { await i('RemoveImage', { image }); },
    imageFsInfo: () => i('ImageFsInfo', {}),
  };
}
