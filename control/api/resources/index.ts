// Every resource the API server serves, looked up by group/version/resource for routing
// and listed in order for discovery.
import type { ResourceDef } from '../resource-def.js';
import { pods } from './pods.js';
import { services } from './services.js';
import { deployments, replicasets } from './apps.js';
import { namespaces, nodes, endpoints, events, leases } from './core.js';
import { configmaps, secrets, serviceaccounts, resourcequotas, limitranges } from './config.js';
import { daemonsets, statefulsets, jobs, endpointslices } from './workloads.js';
import { componentstatuses } from './componentstatuses.js';
import { roles, clusterroles, rolebindings, clusterrolebindings } from './rbac.js';
import { persistentvolumes, persistentvolumeclaims } from './volumes.js';
import { controllerrevisions } from './controllerrevisions.js';
import { storageclasses } from './storageclasses.js';

export const allResources: ResourceDef[] = [
  namespaces, nodes, pods, services, endpoints, events, configmaps, secrets, serviceaccounts,
  componentstatuses, resourcequotas, limitranges, persistentvolumes, persistentvolumeclaims,
  deployments, replicasets, daemonsets, statefulsets, controllerrevisions, jobs, leases, endpointslices,
  roles, clusterroles, rolebindings, clusterrolebindings, storageclasses,
];

const byPath = new Map(allResources.map((d) => [`${d.group}/${d.version}/${d.resource}`, d]));

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return byPath.get(`${group}/${version}/${resource}`);
}

export function groupVersions(): Array<{ group: string; version: string; resources: ResourceDef[] }> {
  const out = new Map<string, { group: string; version: string; resources: ResourceDef[] }>();
  for (const d of allResources) {
    const k = `${d.group}/${d.version}`;
    if (!out.has(k)) out.set(k, { group: d.group, version: d.version, resources: [] });
    out.get(k)!.resources.push(d);
  }
  return [...out.values()];
}

export {
  pods, services, deployments, replicasets, namespaces, nodes, endpoints, events, leases, configmaps, secrets,
  serviceaccounts, resourcequotas, limitranges, daemonsets, statefulsets, jobs, endpointslices, componentstatuses,
  roles, clusterroles, rolebindings, clusterrolebindings, persistentvolumes, persistentvolumeclaims, controllerrevisions, storageclasses,
};
