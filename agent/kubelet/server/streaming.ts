// The kubelet's streaming upgrades, loaded on the first one: /exec/{ns}/{pod}/{container}
// (WebSocket, v4/v5.channel.k8s.io) and /portForward/{ns}/{pod} (SPDY in WebSocket, or raw
// SPDY), each bridged to the container runtime.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { acceptSpdy } from '../../cri/streaming/dial.js';
import { bridgeExec, EXEC_PROTOCOLS, execOptions } from './exec.js';
import { findContainer, findPod, HttpError, seg, type ServerDeps } from './lookup.js';
import { PORTFORWARD_WS_PROTOCOL, servePortForward, spdyOverWebSocket } from './portforward.js';

export function upgradeHandler(d: ServerDeps): (req: IncomingMessage, sock: Socket, head: Buffer) => Promise<void> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false });
  // "SPDY/3.1+portforward.k8s.io" is not a valid token for ws's parser: negotiated by hand.
  const pfWss = new WebSocketServer({ noServer: true });
  pfWss.on('headers', (h) => h.push(`Sec-WebSocket-Protocol: ${PORTFORWARD_WS_PROTOCOL}`));
  return async (req: IncomingMessage, sock: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const [root, ns, name, container] = seg(url.pathname);
    const isWs = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (!d.runtime || !d.cri) throw new HttpError(404, 'streaming not available');
    if (root === 'exec' && container) {
      const pod = findPod(d, ns, name);
      const o = (() => { try { return execOptions(url.searchParams); } catch (err) { throw new HttpError(400, (err as Error).message); } })();
      const inst = await findContainer(d, pod, container);
      if (inst.state !== 'CONTAINER_RUNNING') throw new HttpError(400, `container ${container} is not running`);
      if (!isWs) throw new HttpError(400, 'exec needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io)');
      wss.handleUpgrade(req, sock, head, (ws) => {
        d.log.info({ pod: `${ns}/${name}`, container, command: o.command, protocol: ws.protocol }, 'exec');
        bridgeExec(ws, d.cri!, inst.id, o).catch((err: Error) => { d.log.warn({ err: err.message }, 'exec failed'); ws.close(1011); });
      });
      return;
    }
    if (root === 'portForward' && ns && name) {
      const pod = findPod(d, ns, name);
      const ip = pod.status?.podIP;
      if (!ip) throw new HttpError(400, `pod ${name} has no IP yet`);
      const warn = (msg: string) => d.log.warn({ pod: `${ns}/${name}` }, msg);
      if (isWs) {
        const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((x) => x.trim());
        if (!offered.includes(PORTFORWARD_WS_PROTOCOL)) throw new HttpError(400, `port-forward needs subprotocol ${PORTFORWARD_WS_PROTOCOL}`);
        delete req.headers['sec-websocket-protocol'];
        pfWss.handleUpgrade(req, sock, head, (ws) => servePortForward(spdyOverWebSocket(ws), ip, name, warn));
      } else {
        const conn = acceptSpdy(req, sock, head, ['portforward.k8s.io']);
        if (conn) servePortForward(conn, ip, name, warn);
      }
      return;
    }
    throw new HttpError(404, 'not found');
  };

}
