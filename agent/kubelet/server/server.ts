// The kubelet's HTTP endpoint (:10250): /healthz, /metrics (Prometheus), /pods, /stats/summary,
// /containerLogs/{ns}/{pod}/{container}, and the streaming upgrades /exec/{ns}/{pod}/{container}
// (WebSocket) and /portForward/{ns}/{pod} (SPDY in WebSocket, or raw SPDY). The API server
// proxies pods/log, pods/exec and pods/portforward here.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createKubeletServer, guardUpgrade } from './auth.js';
import { logOptions, serveLogs } from './logs.js';
import { findContainer, findPod, HttpError, seg, type ServerDeps } from './lookup.js';

export type { ServerDeps };

export function startKubeletServer(port: number, host: string, d: ServerDeps): Promise<Server> {
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

  // Streaming (exec, attach, port-forward) is loaded on the first upgrade: idle agents never need it.
  let streaming: Promise<(req: IncomingMessage, sock: Socket, head: Buffer) => Promise<void>> | undefined;
  const upgrade = async (req: IncomingMessage, sock: Socket, head: Buffer) => {
    streaming ??= import('./streaming.js').then((m) => m.upgradeHandler(d));
    return (await streaming)(req, sock, head);
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
