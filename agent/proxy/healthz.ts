// kube-proxy's HTTP endpoints, as upstream serves them: /healthz (200 while rules keep up with
// changes, 503 once a change has waited too long; JSON with lastUpdated/currentTime) on the
// healthz address, and Prometheus /metrics on the metrics address. Both on loopback by default.
import http from 'node:http';
import type { Logger } from 'pino';
import { register } from '../../control/metrics/prom.js';

export interface ProxyHealth { healthy: boolean; lastUpdated: string; currentTime: string; nodeName: string }

/**
 * Upstream's rule: healthy once rules were synced at least once and no change has been waiting
 * for longer than the timeout (a stuck or failing sync loop turns /healthz red).
 */
export function isHealthy(lastSuccess: number, pendingSince: number, now: number, timeoutMs: number): boolean {
  return lastSuccess > 0 && (!pendingSince || now - pendingSince < timeoutMs);
}

export interface ProxyServerOptions { healthz: string; metrics: string; health: () => ProxyHealth }

function split(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i < 0 || !Number.isInteger(port)) throw new Error(`bad address ${JSON.stringify(addr)} (want host:port)`);
  return { host: addr.slice(0, i) || '0.0.0.0', port };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, health: () => ProxyHealth): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz' || path === '/livez') {
    const h = health();
    res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ lastUpdated: h.lastUpdated, currentTime: h.currentTime, nodeEligible: true }));
  } else if (path === '/metrics') {
    res.writeHead(200, { 'content-type': register.contentType });
    res.end(await register.metrics());
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  }
}

/** Starts one server per distinct address (both paths answer on each); '' disables one. */
export async function startProxyServer(o: ProxyServerOptions, log?: Logger): Promise<{ close(): Promise<void>; ports: number[] }> {
  const addrs = [...new Set([o.healthz, o.metrics].filter(Boolean))];
  const servers: http.Server[] = [];
  const ports: number[] = [];
  try {
    for (const a of addrs) {
      const { host, port } = split(a);
      const s = http.createServer((req, res) => { handle(req, res, o.health).catch(() => res.destroy()); });
      await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(port, host, () => resolve()); });
      servers.push(s);
      ports.push((s.address() as { port: number }).port);
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  log?.info({ addresses: addrs }, 'serving /healthz and /metrics');
  return {
    ports,
    close: async () => { for (const s of servers) { s.closeAllConnections(); await new Promise((r) => s.close(r)); } },
  };
}
