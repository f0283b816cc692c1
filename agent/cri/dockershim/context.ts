// What every dockershim service shares: the docker client, the shim's options, the CNI runner,
// its logger, and the error type that becomes a gRPC status (docker's 404 → NOT_FOUND with
// docker's own message; anything else dockerd refuses → UNKNOWN with its message).
import * as grpc from '@grpc/grpc-js';
import type Docker from 'dockerode';
import type { Logger } from '../../../control/client/log.js';
import type { CniRunner } from './cni.js';

export interface ShimOptions {
  /** Where per-sandbox network state (the CNI ADD result) is kept. */
  rootDir: string;
  /** Image of the pause (infra) container. */
  podSandboxImage: string;
  cniConfDir: string;
  cniBinDirs: string[];
  /** Used when a sandbox config has no cgroup_parent. */
  cgroupRoot?: string;
  /** Address the streaming server (exec/attach/port-forward) listens on. */
  streamingAddress: string;
}

export interface ShimContext {
  docker: Docker;
  opts: ShimOptions;
  cni: CniRunner;
  log: Logger;
}

export class ShimError extends Error {
  constructor(readonly code: grpc.status, message: string) { super(message); }
}

export const notFound = (what: string) => new ShimError(grpc.status.NOT_FOUND, what);

interface DockerErr { statusCode?: number; json?: { message?: string } | null; reason?: string; message?: string }

/** Docker's status code of a dockerode error (404, 409, 304 …), if any. */
export function dockerStatus(err: unknown): number | undefined {
  return (err as DockerErr | undefined)?.statusCode;
}

/** dockerd's own message of a dockerode error. */
export function dockerMessage(err: unknown): string {
  const e = err as DockerErr;
  const m = e?.json?.message ?? (typeof e?.json === 'string' ? e.json : undefined) ?? e?.message ?? String(err);
  return String(m).trim();
}

export const isDockerNotFound = (err: unknown) => dockerStatus(err) === 404;

/** Any error → the gRPC error the client sees. */
export function toGrpcError(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof ShimError) return { code: err.code, details: err.message };
  const s = dockerStatus(err);
  if (s === 404) return { code: grpc.status.NOT_FOUND, details: dockerMessage(err) };
  return { code: grpc.status.UNKNOWN, details: dockerMessage(err) };
}
