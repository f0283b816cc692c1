// docker exec for CRI: ExecSync (collect stdout/stderr, exit code, deadline) and the hijacked
// exec session the streaming server bridges to the kubelet's SPDY streams.
import { PassThrough, type Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type Docker from 'dockerode';
import { ShimError } from './context.js';

export interface ExecIO { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }
export interface ExecSession { exec: Docker.Exec; stream: Duplex }

export async function startExec(docker: Docker, containerId: string, cmd: string[], io: ExecIO): Promise<ExecSession> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: cmd, AttachStdin: io.stdin, AttachStdout: io.stdout, AttachStderr: io.stderr, Tty: io.tty,
  });
  const stream = (await exec.start({ hijack: true, stdin: io.stdin, Tty: io.tty })) as Duplex;
  return { exec, stream };
}

/** The exec's exit code once docker reports it finished (shortly after its output ends). */
export async function exitCode(exec: Docker.Exec, waitMs = 5_000): Promise<number> {
  const until = Date.now() + waitMs;
  for (;;) {
    const i = await exec.inspect();
    if (!i.Running || Date.now() > until) return i.ExitCode ?? -1;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Splits docker's multiplexed (non-tty) output into stdout and stderr. */
export function demux(docker: Docker, stream: Duplex, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
  docker.modem.demuxStream(stream, stdout, stderr);
}

export async function execSync(docker: Docker, containerId: string, cmd: string[], timeoutSec: number): Promise<{ stdout: Buffer; stderr: Buffer; exit_code: number }> {
  const { exec, stream } = await startExec(docker, containerId, cmd, { stdin: false, stdout: true, stderr: true, tty: false });
  const out: Buffer[] = [], err: Buffer[] = [];
  const o = new PassThrough(), e = new PassThrough();
  o.on('data', (d: Buffer) => out.push(d));
  e.on('data', (d: Buffer) => err.push(d));
  demux(docker, stream, o, e);
  const done = new Promise<void>((resolve) => { stream.once('end', resolve); stream.once('close', resolve); stream.on('error', () => resolve()); });
  if (timeoutSec > 0) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutSec * 1000); });
    const r = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') {
      stream.destroy();
      throw new ShimError(grpc.status.DEADLINE_EXCEEDED, `command ${JSON.stringify(cmd)} timed out after ${timeoutSec}s`);
    }
  } else await done;
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exit_code: await exitCode(exec) };
}
