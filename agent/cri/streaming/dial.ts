// Both ends of an HTTP upgrade to SPDY/3.1: dial a runtime's streaming URL as a client (the
// kubelet → containerd's CRI streaming server) and accept a client's raw SPDY upgrade (kubectl's
// fallback when WebSocket is refused). X-Stream-Protocol-Version names the protocol spoken on top.
import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { SpdyConnection } from './spdy.js';

export interface Dialed { conn: SpdyConnection; protocol: string }

export function dialSpdy(url: string, protocols: string[], timeoutMs = 10_000): Promise<Dialed> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: u.hostname, port: Number(u.port || 80) });
    const fail = (e: Error) => { sock.destroy(); reject(e); };
    sock.setTimeout(timeoutMs, () => fail(new Error(`SPDY upgrade to ${u.host} timed out`)));
    sock.once('error', fail);
    sock.once('connect', () => {
      const lines = [`POST ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, 'Connection: Upgrade', 'Upgrade: SPDY/3.1',
        ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`), 'Content-Length: 0', '', ''];
      sock.write(lines.join('\r\n'));
    });
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      sock.setTimeout(0);
      sock.off('error', fail);
      const head = buf.subarray(0, end).toString();
      const rest = buf.subarray(end + 4);
      if (!/^HTTP\/1\.1 101/.test(head)) return fail(new Error(`SPDY upgrade refused: ${head.split('\r\n')[0]} ${rest.toString().slice(0, 200)}`));
      const protocol = /x-stream-protocol-version:\s*(\S+)/i.exec(head)?.[1] ?? '';
      resolve({ conn: attach(sock, false, rest), protocol });
    };
    sock.on('data', onData);
  });
}

/** Wires a socket to a SPDY connection (after the 101). */
export function attach(sock: Socket, isServer: boolean, head: Buffer = Buffer.alloc(0)): SpdyConnection {
  sock.setNoDelay(true);
  const conn = new SpdyConnection({ write: (b) => { if (!sock.destroyed) sock.write(b); }, end: () => sock.end() }, isServer);
  sock.on('data', (d: Buffer) => conn.feed(d));
  sock.on('close', () => conn.close());
  sock.on('error', () => conn.close());
  if (head.length) conn.feed(head);
  return conn;
}

/** Answers a raw `Upgrade: SPDY/3.1` request with 101 and the chosen protocol, or 403 when none fits. */
export function acceptSpdy(req: IncomingMessage, sock: Socket, head: Buffer, supported: string[]): SpdyConnection | undefined {
  const offered = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = supported.find((p) => offered.includes(p)) ?? (offered.length === 0 ? supported[0] : undefined);
  if (!chosen) {
    sock.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nunable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(supported)}`);
    return undefined;
  }
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${chosen}\r\n\r\n`);
  return attach(sock, true, head);
}
