// NamespaceLifecycle: nothing is created in a namespace that does not exist or is being
// terminated, and the system namespaces cannot be deleted.
import type { AdmissionPlugin } from './plugin.js';
import { StatusError, forbidden } from '../status.js';
import { namespaces } from '../resources/core.js';

const immortal = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export const namespaceLifecycle: AdmissionPlugin = {
  name: 'NamespaceLifecycle',
  async validate({ op, def, obj, store }) {
    if (def.resource === 'namespaces' && op === 'DELETE' && immortal.has(obj.metadata?.name)) {
      throw forbidden(`namespaces "${obj.metadata.name}" is forbidden: this namespace may not be deleted`);
    }
    if (!def.namespaced || op !== 'CREATE') return;
    const ns = await store.getCached(namespaces, undefined, obj.metadata.namespace);
    if (!ns) throw new StatusError(404, 'NotFound', `namespaces "${obj.metadata.namespace}" not found`, { name: obj.metadata.namespace, kind: 'namespaces' });
    if (ns.status?.phase === 'Terminating' && def.resource !== 'events') {
      throw forbidden(`${def.resource} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${obj.metadata.namespace} because it is being terminated`);
    }
  },
};
