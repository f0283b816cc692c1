// The kubelet's streaming upgrades, loaded on the first one: /exec and /attach
// /{ns}/{pod}/{container} (WebSocket, v4/v5.channel.k8s.io) and /portForward/{ns}/{pod} (SPDY in
// WebSocket, or raw SPDY), each bridged to the container runtime.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { acceptSpdy } from '../../cri/streaming/dial.js';
import { attachOptions, bridgeRemoteCommand, EXEC_PROTOCOLS, execOptions, type StreamOptions } from './exec.js';
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
    if ((root === 'exec' || root === 'attach') && container) {
      const pod = findPod(d, ns, name);
      let command: string[] | undefined, o: StreamOptions;
      try {
        if (root === 'exec') ({ command, ...o } = execOptions(url.searchParams)); else o = attachOptions(url.searchParams);
      } catch (err) { throw new HttpError(400, (err as Error).message); }
      const inst = await findContainer(d, pod, container);
      if (inst.state !== 'CONTAINER_RUNNING') throw new HttpError(400, `container ${container} is not running`);
      if (!isWs) throw new HttpError(400, `${root} needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io)`);
      // Attach joins the container's own stdio: its TTY was fixed when it started (upstream GetAttach).
      if (!command) o.tty = !![...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === container)?.tty;
      const streams = { container_id: inst.id, tty: o.tty, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr && !o.tty };
      const streamUrl = command ? () => d.cri!.exec({ ...streams, cmd: command }) : () => d.cri!.attach(streams);
      wss.handleUpgrade(req, sock, head, (ws) => {
        d.log.info({ pod: `${ns}/${name}`, container, command, protocol: ws.protocol }, root);
        bridgeRemoteCommand(ws, streamUrl, o).catch((err: Error) => { d.log.warn({ err: err.message }, `${root} failed`); ws.close(1011); });
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
