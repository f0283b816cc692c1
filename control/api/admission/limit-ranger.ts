// LimitRanger: LimitRange objects of type Container give a new pod's containers their default
// requests and limits, and refuse containers outside min/max (403, as upstream).
import type { Obj } from '../resource-def.js';
import type { AdmissionPlugin } from './plugin.js';
import { forbidden } from '../status.js';
import { limitranges } from '../resources/config.js';
import { parseQuantity } from '../../client/quantity.js';

export const limitRanger: AdmissionPlugin = {
  name: 'LimitRanger',
  async mutate({ op, def, obj, store, sub }) {
    if (def.resource !== 'pods' || op !== 'CREATE' || sub) return;
    const ranges = (await store.listCached(limitranges, obj.metadata.namespace)).items;
    for (const lr of ranges) {
      for (const item of (lr.spec?.limits ?? []) as Obj[]) {
        if (item.type !== 'Container') continue;
        for (const c of [...(obj.spec?.initContainers ?? []), ...(obj.spec?.containers ?? [])] as Obj[]) {
          const res = (c.resources ??= {});
          res.limits = { ...item.default, ...res.limits };
          res.requests = { ...item.defaultRequest, ...res.requests };
          // A limit with no request: the request defaults to the limit (upstream defaulting).
          for (const [k, v] of Object.entries(res.limits as Obj)) res.requests[k] ??= v;
          if (!Object.keys(res.limits).length) delete res.limits;
          if (!Object.keys(res.requests).length) delete res.requests;
        }
      }
    }
  },
  async validate({ op, def, obj, store, sub }) {
    if (def.resource !== 'pods' || op !== 'CREATE' || sub) return;
    const ranges = (await store.listCached(limitranges, obj.metadata.namespace)).items;
    for (const lr of ranges) {
      for (const item of (lr.spec?.limits ?? []) as Obj[]) {
        if (item.type !== 'Container') continue;
        for (const c of (obj.spec?.containers ?? []) as Obj[]) {
          for (const [res, max] of Object.entries((item.max ?? {}) as Obj)) {
            const lim = c.resources?.limits?.[res];
            if (lim === undefined || parseQuantity(lim) > parseQuantity(max)) {
              throw forbidden(`pods "${obj.metadata.name}" is forbidden: maximum ${res} usage per Container is ${max}, but limit is ${lim ?? 'unbounded'}`);
            }
          }
          for (const [res, min] of Object.entries((item.min ?? {}) as Obj)) {
            const req = c.resources?.requests?.[res];
            if (req === undefined || parseQuantity(req) < parseQuantity(min)) {
              throw forbidden(`pods "${obj.metadata.name}" is forbidden: minimum ${res} usage per Container is ${min}, but request is ${req ?? 0}`);
            }
          }
        }
      }
    }
  },
};
