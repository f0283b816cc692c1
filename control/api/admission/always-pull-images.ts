// AlwaysPullImages (off by default): every container of a new pod pulls its image, so a pod
// cannot use an image another tenant pulled onto the node without credentials.
import type { Obj } from '../resource-def.js';
import type { AdmissionPlugin } from './plugin.js';

export const alwaysPullImages: AdmissionPlugin = {
  name: 'AlwaysPullImages',
  mutate({ op, def, obj, sub }) {
    if (def.resource !== 'pods' || sub || (op !== 'CREATE' && op !== 'UPDATE')) return;
    for (const c of [...(obj.spec?.initContainers ?? []), ...(obj.spec?.containers ?? [])] as Obj[]) c.imagePullPolicy = 'Always';
  },
};
