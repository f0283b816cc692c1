// The kubelet's HTTP endpoint (:10250): /healthz, /metrics (Prometheus) and /pods (the pods
// this kubelet runs, as a PodList). Logs, exec and stats come with the later kubelet issue.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { checkKubeletRequest, kubeletTlsOptions } from './auth.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../../control/client/log.js';
import type { KubeletMetrics } from '../metrics.js';

export interface ServerDeps {
  metrics: KubeletMetrics;
  pods(): Pod[];
  healthy(): boolean;
  log: Logger;
}

export function startKubeletServer(port: number, host: string, d: ServerDeps): Promise<Server> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => { res.writeHead(code, { 'content-type': type }); res.end(body); };
    if (path === '/healthz') return d.healthy() ? send(200, 'text/plain', 'ok') : send(500, 'text/plain', 'unhealthy');
    if (path === '/metrics') {
      d.metrics.registry.metrics().then((m) => send(200, d.metrics.registry.contentType, m), (e: Error) => send(500, 'text/plain', e.message));
      return;
    }
    if (path === '/pods') return send(200, 'application/json', JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: d.pods() }));
    send(404, 'text/plain', 'not found');
  };
  // With TLS configured (agent --kubelet-tls-*), every request is authenticated and authorized first (auth.ts).
  const tls = kubeletTlsOptions();
  const server: Server = tls
    ? createHttpsServer(tls, (req, res) => {
      checkKubeletRequest(req).then((v) => {
        if (v.ok) return handler(req, res);
        res.writeHead(v.code, { 'content-type': 'text/plain' }).end(v.message);
      }, (err: Error) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message); });
    }) as unknown as Server
    : createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      d.log.info({ port, host }, 'kubelet server listening');
      resolve(server);
    });
  });
}
