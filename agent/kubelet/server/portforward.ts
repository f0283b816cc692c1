// /portForward/{ns}/{pod}: the portforward.k8s.io protocol over SPDY — tunnelled in WebSocket
// binary messages ("SPDY/3.1+portforward.k8s.io", kubectl ≥ 1.31) or on a raw SPDY upgrade.
// The client opens an error and a data stream per connection (headers streamType, port,
// requestID); each data stream becomes a TCP connection from the kubelet to podIP:port.
import { connect } from 'node:net';
import type { WebSocket } from 'ws';
import { SpdyConnection, type SpdyStream } from '../../cri/streaming/spdy.js';

export const PORTFORWARD_WS_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** SPDY over WebSocket binary messages. */
export function spdyOverWebSocket(ws: WebSocket): SpdyConnection {
  const conn = new SpdyConnection({ write: (b) => { if (ws.readyState === ws.OPEN) ws.send(b); }, end: () => ws.close(1000) }, true);
  ws.on('message', (m: Buffer) => conn.feed(Buffer.from(m)));
  ws.on('close', () => conn.close());
  return conn;
}

export function servePortForward(conn: SpdyConnection, podIP: string, podName: string, log: (msg: string) => void): void {
  const errors = new Map<string, SpdyStream>();
  conn.on('error', () => conn.close());
  conn.on('stream', (s: SpdyStream) => {
    s.reply();
    const type = s.headers.streamtype, port = Number(s.headers.port), id = s.headers.requestid ?? '';
    if (type === 'error') { errors.set(id, s); s.resume(); s.on('close', () => errors.delete(id)); return; }
    if (type !== 'data' || !(port > 0 && port < 65536)) { s.reset(); return; }
    const sock = connect({ host: podIP, port });
    sock.setNoDelay(true);
    sock.on('error', (err) => {
      const e = errors.get(id);
      const msg = `error forwarding port ${port} to pod ${podName}: ${err.message}`;
      log(msg);
      if (e) { e.write(msg); e.end(); }
      s.end();
    });
    sock.pipe(s);
    s.pipe(sock);
    s.on('close', () => sock.destroy());
  });
}
