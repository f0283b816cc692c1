// /exec and /attach/{ns}/{pod}/{container}: kubectl's WebSocket remotecommand protocol
// (v5.channel.k8s.io, or v4) bridged to the runtime's CRI streaming server (the URL from CRI Exec
// or Attach) over SPDY (v4.channel.k8s.io). WebSocket
// messages carry a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (a Status), 4 resize;
// v5 adds [255, n] = "stream n closed", which becomes a SPDY half-close so `exec -i` sees EOF.
import type { WebSocket } from 'ws';
import { dialSpdy } from '../../cri/streaming/dial.js';
import type { SpdyStream } from '../../cri/streaming/spdy.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export interface StreamOptions { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }
export interface ExecOptions extends StreamOptions { command: string[] }

function streamOptions(q: URLSearchParams): StreamOptions {
  const b = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  return { stdin: b('stdin'), stdout: b('stdout'), stderr: b('stderr'), tty: b('tty') };
}

export function execOptions(q: URLSearchParams): ExecOptions {
  const command = q.getAll('command');
  if (!command.length) throw new Error('you must specify at least 1 command');
  return { command, ...streamOptions(q) };
}

export function attachOptions(q: URLSearchParams): StreamOptions {
  const o = streamOptions(q);
  if (!o.stdin && !o.stdout && !o.stderr) throw new Error('you must specify at least one of stdin, stdout, stderr');
  return o;
}

const statusFailure = (message: string) => JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 });

/** Bridges ws to the runtime's stream at the URL streamUrl() gets from CRI (Exec or Attach). */
export async function bridgeRemoteCommand(ws: WebSocket, streamUrl: () => Promise<string>, o: StreamOptions): Promise<void> {
  const send = (ch: number, data: Buffer) => { if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([ch]), data])); };
  // The client may send stdin before the runtime side is ready: keep it until then.
  const early: Buffer[] = [];
  let deliver = (m: Buffer) => { early.push(m); };
  ws.on('message', (m: Buffer) => deliver(m));
  let conn;
  try {
    conn = (await dialSpdy(await streamUrl(), ['v4.channel.k8s.io'])).conn;
  } catch (err) {
    send(3, Buffer.from(statusFailure((err as Error).message)));
    ws.close(1000);
    return;
  }
  // Listen on each stream as soon as it is open: a quick command can finish, and the runtime
  // close the connection (dropping unread frames), before the last stream's reply is awaited.
  const ended = (s: SpdyStream | undefined) => new Promise<void>((r) => { if (!s) return r(); s.once('end', r); s.once('close', r); });
  const errChunks: Buffer[] = [];
  const open = async (type: string, onData?: (d: Buffer) => void) => {
    const s = await conn.openStream({ streamtype: type });
    if (onData) s.on('data', onData);
    return { s, done: ended(s) };
  };
  const err = await open('error', (d) => errChunks.push(d));
  const [stdin, stdout, stderr, resize] = await Promise.all([
    o.stdin ? open('stdin') : undefined, o.stdout ? open('stdout', (d) => send(1, d)) : undefined,
    o.stderr && !o.tty ? open('stderr', (d) => send(2, d)) : undefined, o.tty ? open('resize') : undefined,
  ]);
  deliver = (m: Buffer) => {
    if (!m.length) return;
    const ch = m[0]!, data = m.subarray(1);
    if (ch === 0) stdin?.s.write(data);
    else if (ch === 4) resize?.s.write(data);
    else if (ch === 255 && data[0] === 0) stdin?.s.end();
  };
  for (const m of early.splice(0)) deliver(m);
  ws.on('close', () => conn.close());
  await err.done;
  // The runtime sends the exit status after the output; give in-flight frames a moment.
  await Promise.race([Promise.all([stdout?.done, stderr?.done]), new Promise((r) => setTimeout(r, 150))]);
  if (errChunks.length) send(3, Buffer.concat(errChunks));
  conn.close();
  ws.close(1000);
}
