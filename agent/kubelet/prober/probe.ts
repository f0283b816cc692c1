// One probe attempt, as upstream's prober runs them: httpGet (2xx/3xx is success, from the
// kubelet to the pod IP), tcpSocket (connect), exec (ExecSync in the container, exit 0), each
// bounded by timeoutSeconds. Returns an outcome with the message Unhealthy events show.
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../../cri/runtime.js';

export interface ProbeOutcome { ok: boolean; output: string }

export interface ProbeTarget { podIP: string; containerId: string; container: Container; cri: Pick<RuntimeService, 'execSync'> }

/** A named port ("http") resolved against the container's ports. */
export function resolvePort(port: number | string | undefined, c: Container): number {
  if (typeof port === 'number') return port;
  if (port && /^\d+$/.test(port)) return Number(port);
  const p = c.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`port "${port}" not found in container ${c.name}`);
  return p.containerPort;
}

function httpProbe(p: NonNullable<Probe['httpGet']>, t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const host = p.host || t.podIP;
  const port = resolvePort(p.port, t.container);
  const path = p.path ? (p.path.startsWith('/') ? p.path : `/${p.path}`) : '/';
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
  for (const h of p.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  const url = `${(p.scheme ?? 'HTTP').toLowerCase()}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  return new Promise((resolve) => {
    const fn = p.scheme === 'HTTPS' ? httpsRequest : request;
    const req = fn(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const code = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 1024) body += d; });
      res.on('end', () => resolve(code >= 200 && code < 400 ? { ok: true, output: '' } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` }));
      res.on('error', (e) => resolve({ ok: false, output: `Get "${url}": ${e.message}` }));
    });
    req.on('timeout', () => { req.destroy(); resolve({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }); });
    req.on('error', (e) => resolve({ ok: false, output: `Get "${url}": ${e.message}` }));
    req.end();
  });
}

function tcpProbe(p: NonNullable<Probe['tcpSocket']>, t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const host = p.host || t.podIP;
  const port = resolvePort(p.port, t.container);
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.once('connect', () => { s.destroy(); resolve({ ok: true, output: '' }); });
    s.once('timeout', () => { s.destroy(); resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` }); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, output: `dial tcp ${host}:${port}: ${e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message}` }));
  });
}

async function execProbe(p: NonNullable<Probe['exec']>, t: ProbeTarget, timeoutS: number): Promise<ProbeOutcome> {
  try {
    const r = await t.cri.execSync(t.containerId, p.command ?? [], timeoutS);
    const out = (Buffer.from(r.stdout).toString() + Buffer.from(r.stderr).toString()).trim();
    return r.exit_code === 0 ? { ok: true, output: out } : { ok: false, output: out || `command ${JSON.stringify((p.command ?? []).join(' '))} exited with ${r.exit_code}` };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}

export async function runProbe(p: Probe, t: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutS = p.timeoutSeconds ?? 1;
  try {
    if (p.exec) return await execProbe(p.exec, t, timeoutS);
    if (p.httpGet) return await httpProbe(p.httpGet, t, timeoutS * 1000);
    if (p.tcpSocket) return await tcpProbe(p.tcpSocket, t, timeoutS * 1000);
    if (p.grpc) return { ok: false, output: 'grpc probes are not supported by this kubelet' };
    return { ok: false, output: 'probe has no handler' };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}
