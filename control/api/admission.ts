// Admission control: plugins run in order on create/update/delete after authentication and
// authorization, and may refuse a request. For now NamespaceLifecycle: no new objects in a
// namespace that does not exist or is terminating, and the system namespaces stay.
import type { Obj, ResourceDef } from './resource-def.js';
import type { Store } from './storage.js';
import { StatusError, forbidden } from './status.js';
import { namespaces } from './resources/core.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionPlugin {
  name: string;
  admit(op: Operation, def: ResourceDef, obj: Obj, old: Obj | undefined, store: Store): Promise<void>;
}

const immortal = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export const namespaceLifecycle: AdmissionPlugin = {
  name: 'NamespaceLifecycle',
  async admit(op, def, obj, _old, store) {
    if (def.resource === 'namespaces' && op === 'DELETE' && immortal.has(obj.metadata?.name)) {
      throw forbidden(`namespaces "${obj.metadata.name}" is forbidden: this namespace may not be deleted`);
    }
    if (!def.namespaced || op !== 'CREATE') return;
    const ns = await store.get(namespaces, undefined, obj.metadata.namespace);
    if (!ns) throw new StatusError(404, 'NotFound', `namespaces "${obj.metadata.namespace}" not found`, { name: obj.metadata.namespace, kind: 'namespaces' });
    if (ns.status?.phase === 'Terminating' && def.resource !== 'events') {
      throw forbidden(`${def.resource} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${obj.metadata.namespace} because it is being terminated`);
    }
  },
};

export class Admission {
  constructor(private readonly store: Store, private readonly plugins: AdmissionPlugin[] = [namespaceLifecycle]) {}

  async admit(op: Operation, def: ResourceDef, obj: Obj, old?: Obj): Promise<void> {
    for (const p of this.plugins) await p.admit(op, def, obj, old, this.store);
  }
}
