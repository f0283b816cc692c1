// ResourceQuota: a create that would take a namespace over any quota's hard limits is refused
// with 403 and upstream's message ("exceeded quota: q, requested: pods=1, used: pods=2,
// limited: pods=2"). Usage is counted from the store at admission time.
import type { Obj, ResourceDef } from '../resource-def.js';
import type { Store } from '../storage.js';
import type { AdmissionPlugin } from './plugin.js';
import { forbidden } from '../status.js';
import { resourcequotas } from '../resources/config.js';
import { allResources } from '../resources/index.js';
import { parseQuantity } from '../../client/quantity.js';

const terminal = (p: Obj) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** What one object contributes to each quota resource name. */
export function usageOf(def: ResourceDef, obj: Obj): Record<string, number> {
  const u: Record<string, number> = { [`count/${def.group ? `${def.resource}.${def.group}` : def.resource}`]: 1 };
  if (['pods', 'services', 'configmaps', 'secrets', 'resourcequotas', 'persistentvolumeclaims'].includes(def.resource) && !def.group) u[def.resource] = 1;
  if (def.resource === 'pods') {
    for (const c of (obj.spec?.containers ?? []) as Obj[]) {
      for (const [k, v] of Object.entries((c.resources?.requests ?? {}) as Obj)) {
        u[`requests.${k}`] = (u[`requests.${k}`] ?? 0) + parseQuantity(v);
        if (k === 'cpu' || k === 'memory') u[k] = (u[k] ?? 0) + parseQuantity(v);
      }
      for (const [k, v] of Object.entries((c.resources?.limits ?? {}) as Obj)) u[`limits.${k}`] = (u[`limits.${k}`] ?? 0) + parseQuantity(v);
    }
  }
  if (def.resource === 'services' && obj.spec?.type === 'NodePort') u['services.nodeports'] = (obj.spec?.ports ?? []).length;
  return u;
}

async function namespaceUsage(store: Store, ns: string, names: Set<string>): Promise<Record<string, number>> {
  const used: Record<string, number> = {};
  for (const def of allResources) {
    if (!def.namespaced || def.readOnly) continue;
    const relevant = [...names].some((n) => n === def.resource || n.startsWith('count/' + def.resource) || (def.resource === 'pods' && /^(requests|limits)\.|^(cpu|memory)$/.test(n)) || (def.resource === 'services' && n === 'services.nodeports'));
    if (!relevant) continue;
    for (const o of (await store.list(def, ns)).items) {
      if (def.resource === 'pods' && terminal(o)) continue;
      for (const [k, v] of Object.entries(usageOf(def, o))) used[k] = (used[k] ?? 0) + v;
    }
  }
  return used;
}

const fmt = (name: string, v: number) => (name.includes('cpu') ? `${Math.round(v * 1000)}m` : String(v));

export const resourceQuota: AdmissionPlugin = {
  name: 'ResourceQuota',
  async validate({ op, def, obj, store, sub }) {
    if (op !== 'CREATE' || !def.namespaced || sub || def.resource === 'events') return;
    const quotas = (await store.listCached(resourcequotas, obj.metadata.namespace)).items;
    if (!quotas.length) return;
    const requested = usageOf(def, obj);
    for (const q of quotas) {
      const hard = (q.spec?.hard ?? {}) as Record<string, string>;
      const names = new Set(Object.keys(hard).filter((n) => requested[n] !== undefined));
      if (!names.size) continue;
      const used = await namespaceUsage(store, obj.metadata.namespace, names);
      const over = [...names].filter((n) => (used[n] ?? 0) + requested[n] > parseQuantity(hard[n]));
      if (over.length) {
        const list = (m: (n: string) => string) => over.map((n) => `${n}=${m(n)}`).join(',');
        throw forbidden(`${def.resource} "${obj.metadata.name}" is forbidden: exceeded quota: ${q.metadata.name}, requested: ${list((n) => fmt(n, requested[n]))}, used: ${list((n) => fmt(n, used[n] ?? 0))}, limited: ${list((n) => hard[n])}`);
      }
    }
  },
};
