// The kubelet's HTTP endpoint (:10250): /healthz, /metrics (Prometheus), /pods, /stats/summary,
// /containerLogs/{ns}/{pod}/{container}, and the streaming upgrades /exec/{ns}/{pod}/{container}
// (WebSocket) and /portForward/{ns}/{pod} (SPDY in WebSocket, or raw SPDY). The API server
// proxies pods/log, pods/exec and pods/portforward here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../../control/client/log.js';
import type { CriRuntime } from '../../cri/runtime.js';
import { acceptSpdy } from '../../cri/streaming/dial.js';
import type { RuntimeManager } from '../kuberuntime/runtime-manager.js';
import type { KubeletMetrics } from '../metrics.js';
import { createKubeletServer, guardUpgrade } from './auth.js';
import { instancesOf, type RuntimeContainer } from '../status/pod-status.js';
import { bridgeExec, EXEC_PROTOCOLS, execOptions } from './exec.js';
import { logOptions, serveLogs } from './logs.js';
import { PORTFORWARD_WS_PROTOCOL, servePortForward, spdyOverWebSocket } from './portforward.js';

export interface ServerDeps {
  metrics: KubeletMetrics;
  pods(): Pod[];
  pod(namespace: string, name: string): Pod | undefined;
  healthy(): boolean;
  cri?: CriRuntime;
  runtime?: RuntimeManager;
  /** Summary API (stats/summary); absent = 404. */
  summary?(): Promise<unknown>;
  log: Logger;
}

class HttpError extends Error { constructor(readonly code: number, message: string) { super(message); } }

const seg = (p: string) => p.split('/').filter(Boolean).map(decodeURIComponent);

function findPod(d: ServerDeps, ns: string | undefined, name: string | undefined): Pod {
  const pod = ns && name ? d.pod(ns, name) : undefined;
  if (!pod) throw new HttpError(404, `pod "${name}" not found in namespace "${ns}" on this node`);
  return pod;
}

/** The running (or, with previous, the last terminated) instance of a container. */
async function findContainer(d: ServerDeps, pod: Pod, name: string, previous = false): Promise<RuntimeContainer> {
  const known = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) => c.name === name);
  if (!known) throw new HttpError(400, `container ${name} is not valid for pod ${pod.metadata?.name}`);
  const rt = await d.runtime!.podRuntime(pod.metadata!.uid!);
  const insts = instancesOf(rt, name);
  const inst = previous ? insts[1] : insts[0];
  if (!inst) {
    throw new HttpError(previous ? 400 : 400, previous
      ? `previous terminated container "${name}" in pod "${pod.metadata?.name}" not found`
      : `container "${name}" in pod "${pod.metadata?.name}" is waiting to start: ContainerCreating`);
  }
  return inst;
}

export function startKubeletServer(port: number, host: string, d: ServerDeps): Promise<Server> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false });
  // "SPDY/3.1+portforward.k8s.io" is not a valid token for ws's parser: negotiated by hand.
  const pfWss = new WebSocketServer({ noServer: true });
  pfWss.on('headers', (h) => h.push(`Sec-WebSocket-Protocol: ${PORTFORWARD_WS_PROTOCOL}`));
  const send = (res: ServerResponse, code: number, type: string, body: string) => { res.writeHead(code, { 'content-type': type }); res.end(body); };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const path = url.pathname;
    if (path === '/healthz') return d.healthy() ? send(res, 200, 'text/plain', 'ok') : send(res, 500, 'text/plain', 'unhealthy');
    if (path === '/metrics') return send(res, 200, d.metrics.registry.contentType, await d.metrics.registry.metrics());
    if (path === '/pods') return send(res, 200, 'application/json', JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: d.pods() }));
    if (path === '/stats/summary' && d.summary) return send(res, 200, 'application/json', JSON.stringify(await d.summary()));
    const [root, ns, name, container] = seg(path);
    if (root === 'containerLogs' && d.runtime && container) {
      const pod = findPod(d, ns, name);
      let o;
      try { o = logOptions(url.searchParams); } catch (err) { throw new HttpError(400, (err as Error).message); }
      const previous = url.searchParams.get('previous') === 'true';
      const inst = await findContainer(d, pod, container, previous);
      if (!inst.log_path) throw new HttpError(404, `container ${container} has no log file`);
      if (previous) o.follow = false;
      return serveLogs(inst.log_path, o, res, async () => (await d.cri!.containerStatus(inst.id)).status?.state === 'CONTAINER_RUNNING');
    }
    send(res, 404, 'text/plain', 'not found');
  };

  const upgrade = async (req: IncomingMessage, sock: Socket, head: Buffer) => {
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

  // HTTPS + authn/authz when the agent configured TLS (auth.ts), else plain HTTP.
  const server = createKubeletServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      const code = err instanceof HttpError ? err.code : 500;
      if (!res.headersSent) send(res, code, 'text/plain', err.message);
      else res.end();
    });
  });
  server.on('upgrade', guardUpgrade((req: IncomingMessage, sock: Socket, head: Buffer) => {
    upgrade(req, sock, head).catch((err: Error) => {
      const code = err instanceof HttpError ? err.code : 500;
      if (!sock.destroyed) sock.end(`HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : code === 400 ? 'Bad Request' : 'Error'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${err.message}`);
    });
  }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      d.log.info({ port, host }, 'kubelet server listening');
      resolve(server);
    });
  });
}
