// componentstatuses (cs): a read-only view computed on each request, as seed 003's
// `kubectl get componentstatuses` shows — the scheduler and controller manager by their
// /healthz endpoints (https://127.0.0.1:10259, :10257; upstream probes them over HTTPS without
// verifying the certificate, /healthz being always allowed), the store by a real read.
import { Agent, fetch as undiciFetch } from 'undici';
import type { Obj, ResourceDef } from '../resource-def.js';
import { col } from '../table.js';

export interface ComponentProbe { name: string; check(): Promise<{ ok: boolean; message: string }> }

/** Probes skip certificate verification (self-signed serving certificates), as upstream's do. */
const insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });

export function httpProbe(name: string, url: string): ComponentProbe {
  return {
    name,
    async check() {
      try {
        const res = await undiciFetch(url, { signal: AbortSignal.timeout(2000), ...(url.startsWith('https:') ? { dispatcher: insecureAgent } : {}) });
        const body = (await res.text()).trim();
        return { ok: res.ok, message: res.ok ? body || 'ok' : `${url}: HTTP ${res.status}` };
      } catch (err) {
        return { ok: false, message: `Get "${url}": ${(err as Error).message}` };
      }
    },
  };
}

export function toComponentStatus(name: string, r: { ok: boolean; message: string }): Obj {
  return {
    kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name },
    conditions: [{ type: 'Healthy', status: r.ok ? 'True' : 'False', ...(r.ok ? { message: r.message } : { error: r.message }) }],
  };
}

export const componentstatuses: ResourceDef = {
  group: '', version: 'v1', resource: 'componentstatuses', kind: 'ComponentStatus', singular: 'componentstatus', namespaced: false,
  shortNames: ['cs'], readOnly: true,
  table: {
    columns: [col('Status'), col('Message'), col('Error')],
    cells(o) {
      const c = (o.conditions ?? [])[0] ?? {};
      return [c.status === 'True' ? 'Healthy' : 'Unhealthy', c.message ?? '', c.error ?? ''];
    },
  },
};
