// What a fresh cluster has before anyone writes: the system namespaces and the `kubernetes`
// Service (10.96.0.1:443) whose Endpoints name this API server, kept up to date at start.
import type { Obj } from './resource-def.js';
import type { Rest } from './rest.js';
import { StatusError } from './status.js';
import { namespaces, services, endpoints } from './resources/index.js';

const ignoreExists = (err: unknown) => { if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err; };

export async function bootstrap(rest: Rest, opts: { advertiseAddress: string; port: number }): Promise<void> {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await rest.create({ def: namespaces }, { metadata: { name } }).catch(ignoreExists);
  }
  // On a store that already has it (a restart, a second API server), 10.96.0.1 is taken: skip.
  if (!(await rest.store.get(services, 'default', 'kubernetes'))) {
    await rest.create({ def: services, namespace: 'default' }, {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }] },
    }).catch(ignoreExists);
  }
  const ep: Obj = {
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.advertiseAddress }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }],
  };
  const t = { def: endpoints, namespace: 'default', name: 'kubernetes' };
  try {
    await rest.create(t, ep);
  } catch (err) {
    ignoreExists(err);
    await rest.patch(t, 'application/merge-patch+json', { subsets: ep.subsets });
  }
}
