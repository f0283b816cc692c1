// The status endpoints of the scheduler (:10259) and controller manager (:10257): /healthz,
// /livez, /readyz (what the API server's componentstatuses probes) and /metrics (Prometheus
// text from the component's own registry). HTTPS with delegated authn/authz when `secure` is
// given (control/serving), plain HTTP for an insecure cluster.
import type { Server } from 'node:http';
import type { Registry } from '../../metrics/prom.js';
import { logger } from '../../client/log.js';
import { createComponentServer, type SecureServingOptions } from '../../serving/secure-serving.js';

export interface HealthServerOptions {
  component: string;
  host?: string; // 127.0.0.1
  port: number; // < 0: no server
  registry: Registry;
  /** Named checks; each returns true when healthy. */
  checks?: Record<string, () => boolean>;
  /** Serve HTTPS behind delegated authentication and authorization. */
  secure?: SecureServingOptions;
}

export interface HealthServer { port: number; close(): Promise<void> }

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer | undefined> {
  const log = logger(opts.component);
  if (opts.port < 0) return undefined;
  const server: Server = await createComponentServer(opts.component, opts.secure, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      const failed = Object.entries(opts.checks ?? {}).filter(([, ok]) => !ok()).map(([n]) => n);
      res.writeHead(failed.length ? 500 : 200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(failed.length ? failed.map((n) => `[-]${n} failed`).join('\n') + '\nhealthz check failed\n' : 'ok');
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(text);
      }, (err: Error) => { res.writeHead(500); res.end(err.message); });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  });
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => { server.off('error', reject); resolve(); });
    });
  } catch (err) {
    // Another component (or a test's server) holds the port: run on without status endpoints.
    log.warn({ port: opts.port, err: (err as Error).message }, 'health/metrics endpoint not served');
    return undefined;
  }
  const port = (server.address() as { port: number }).port;
  log.info({ url: `${opts.secure ? 'https' : 'http'}://${host}:${port}/healthz` }, 'serving healthz and metrics');
  return { port, close: () => new Promise((r) => server.close(() => r())) };
}
