// The shim's CRI streaming server, speaking what the kubelet's client (agent/cri/streaming)
// speaks to containerd's: Exec/Attach/PortForward return http://<addr>/<kind>/<token>; a POST
// with `Upgrade: SPDY/3.1` there carries remotecommand v4 (streams error/stdin/stdout/stderr/
// resize, a JSON Status on the error stream at the end) or portforward.k8s.io (error + data per port).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { acceptSpdy } from '../streaming/dial.js';
import type { SpdyConnection, SpdyStream } from '../streaming/spdy.js';
import type { ShimContext } from './context.js';
import { demux, exitCode, startExec, type ExecIO } from './exec.js';

const REMOTECOMMAND = ['v4.channel.k8s.io'];
const PORTFORWARD = ['portforward.k8s.io'];
const TOKEN_TTL_MS = 60_000;

type Req =
  | { kind: 'exec'; containerId: string; cmd: string[]; io: ExecIO }
  | { kind: 'attach'; containerId: string; io: ExecIO }
  | { kind: 'portforward'; sandboxPid: () => Promise<number> };

/** The v4 Status written on the error stream when a command ends. */
export function exitStatus(code: number, cmd: string[]): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
    message: `command terminated with non-zero exit code: error executing command ${JSON.stringify(cmd)}, exit code ${code}`,
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

export class StreamingServer {
  private server: Server | undefined;
  private tokens = new Map<string, { req: Req; expires: number }>();
  private base = '';

  constructor(private readonly c: ShimContext) {}

  async start(): Promise<string> {
    const [host, port] = splitHostPort(this.c.opts.streamingAddress);
    this.server = createServer((_req, res) => { res.writeHead(400, { 'content-type': 'text/plain' }).end('SPDY/3.1 upgrade required\n'); });
    this.server.on('upgrade', (req, sock: Socket, head: Buffer) => this.upgrade(req.url ?? '', req, sock, head));
    await new Promise<void>((resolve, reject) => { this.server!.once('error', reject); this.server!.listen(port, host, resolve); });
    const a = this.server.address() as AddressInfo;
    this.base = `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    return this.base;
  }

  stop(): void { this.server?.close(); }

  url(req: Req): string {
    const now = Date.now();
    for (const [k, v] of this.tokens) if (v.expires < now) this.tokens.delete(k);
    const token = randomBytes(12).toString('base64url');
    this.tokens.set(token, { req, expires: now + TOKEN_TTL_MS });
    return `${this.base}/${req.kind}/${token}`;
  }

  private upgrade(url: string, req: Parameters<typeof acceptSpdy>[0], sock: Socket, head: Buffer): void {
    sock.on('error', (err) => this.c.log.debug({ err: err.message }, 'streaming connection error'));
    const m = /^\/(exec|attach|portforward)\/([\w-]+)$/.exec(url.split('?')[0]!);
    const entry = m ? this.tokens.get(m[2]!) : undefined;
    if (!m || !entry || entry.req.kind !== m[1]) { sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'); return; }
    this.tokens.delete(m[2]!); // single use
    const r = entry.req;
    const conn = acceptSpdy(req, sock, head, r.kind === 'portforward' ? PORTFORWARD : REMOTECOMMAND);
    if (!conn) return;
    conn.on('error', () => conn.close());
    if (r.kind === 'portforward') this.portForward(conn, r.sandboxPid);
    else void this.remoteCommand(conn, r).catch((err: Error) => { this.c.log.warn({ err: err.message }, 'stream failed'); conn.close(); });
  }

  /** Collects the client's streams (error first, then what the request asked for), then runs it. */
  private async remoteCommand(conn: SpdyConnection, r: Extract<Req, { kind: 'exec' | 'attach' }>): Promise<void> {
    const want = new Set(['error', ...(r.io.stdin ? ['stdin'] : []), ...(r.io.stdout ? ['stdout'] : []),
      ...(r.io.stderr && !r.io.tty ? ['stderr'] : []), ...(r.io.tty ? ['resize'] : [])]);
    const streams = await new Promise<Map<string, SpdyStream>>((resolve, reject) => {
      const got = new Map<string, SpdyStream>();
      const t = setTimeout(() => reject(new Error(`streams ${[...want].filter((w) => !got.has(w))} not opened in time`)), 30_000);
      conn.on('stream', (s: SpdyStream) => {
        s.reply();
        s.on('error', () => conn.close());
        got.set(s.headers.streamtype ?? '', s);
        if ([...want].every((w) => got.has(w))) { clearTimeout(t); resolve(got); }
      });
    });
    const errS = streams.get('error')!;
    const docker = this.c.docker;
    let session: { stream: Duplex; exec?: Docker.Exec };
    try {
      if (r.kind === 'exec') session = await startExec(docker, r.containerId, r.cmd, r.io);
      else {
        const stream = (await docker.getContainer(r.containerId).attach({ stream: true, hijack: true, stdin: r.io.stdin, stdout: r.io.stdout, stderr: r.io.stderr })) as unknown as Duplex;
        session = { stream };
      }
    } catch (err) {
      errS.end(JSON.stringify({ metadata: {}, status: 'Failure', message: (err as Error).message, reason: 'InternalError', code: 500 }));
      conn.close();
      return;
    }
    const { stream, exec } = session;
    const stdin = streams.get('stdin'), stdout = streams.get('stdout'), stderr = streams.get('stderr'), resize = streams.get('resize');
    // stdin's EOF half-closes the hijacked connection: for exec the process sees EOF; for attach
    // dockerd closes the container's stdin when it was created StdinOnce (kubectl attach -i).
    if (stdin) { stdin.on('data', (d: Buffer) => stream.write(d)); stdin.on('end', () => stream.end()); }
    if (resize) {
      let buf = '';
      resize.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let i = buf.indexOf('}'); i >= 0; i = buf.indexOf('}')) {
          try {
            const s = JSON.parse(buf.slice(0, i + 1)) as { Width: number; Height: number };
            void (exec ? exec.resize({ w: s.Width, h: s.Height }) : docker.getContainer(r.containerId).resize({ w: s.Width, h: s.Height })).catch(() => {});
          } catch { /* partial or bad message */ }
          buf = buf.slice(i + 1);
        }
      });
    }
    const sink = (s: SpdyStream | undefined) => s ?? new PassThrough().resume();
    if (r.io.tty) stream.on('data', (d: Buffer) => stdout?.write(d));
    else demux(docker, stream, sink(stdout), sink(stderr));
    await new Promise<void>((resolve) => { stream.once('end', resolve); stream.once('close', resolve); stream.on('error', () => resolve()); });
    stdout?.end();
    stderr?.end();
    if (exec && r.kind === 'exec') errS.end(exitStatus(await exitCode(exec), r.cmd));
    else errS.end();
    setTimeout(() => conn.close(), 100).unref();
  }

  /** Each data stream becomes a connection to 127.0.0.1:<port> inside the pod's network namespace. */
  private portForward(conn: SpdyConnection, sandboxPid: () => Promise<number>): void {
    const errors = new Map<string, SpdyStream>();
    conn.on('stream', (s: SpdyStream) => {
      s.reply();
      s.on('error', () => s.destroy());
      const type = s.headers.streamtype, port = Number(s.headers.port), id = s.headers.requestid ?? '';
      if (type === 'error') { errors.set(id, s); s.resume(); return; }
      if (type !== 'data' || !(port > 0 && port < 65536)) { s.reset(); return; }
      void sandboxPid().then((pid) => {
        if (!pid) throw new Error('pod sandbox is not running');
        const nc = spawn('nsenter', ['-t', String(pid), '-n', 'busybox', 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
        const errText: Buffer[] = [];
        nc.on('error', (err) => { errors.get(id)?.end(`error forwarding port ${port}: ${err.message}`); s.end(); });
        nc.stdin.on('error', () => nc.kill());
        nc.stderr.on('data', (d: Buffer) => errText.push(d));
        s.pipe(nc.stdin);
        nc.stdout.pipe(s);
        nc.on('exit', (code) => {
          if (code) { const e = errors.get(id); e?.end(`error forwarding port ${port}: ${Buffer.concat(errText).toString().trim() || `exit ${code}`}`); }
        });
        s.on('close', () => nc.kill());
      }).catch((err: Error) => { errors.get(id)?.end(`error forwarding port ${port}: ${err.message}`); s.end(); });
    });
  }
}

function splitHostPort(a: string): [string, number] {
  const i = a.lastIndexOf(':');
  if (i < 0) return [a || '127.0.0.1', 0];
  return [a.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', Number(a.slice(i + 1)) || 0];
}
