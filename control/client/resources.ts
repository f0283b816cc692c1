// The API resources tskube serves, as seen by a client: group, version, plural name, kind,
// scope. Components name resources through these constants (R.pods, R.deployments, …) so
// URL building lives in one place.

export interface ResourceRef {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural, lower case: 'pods'
  kind: string;
  namespaced: boolean;
}

const core = (resource: string, kind: string, namespaced = true): ResourceRef =>
  ({ group: '', version: 'v1', resource, kind, namespaced });
const apps = (resource: string, kind: string): ResourceRef =>
  ({ group: 'apps', version: 'v1', resource, kind, namespaced: true });
const grouped = (group: string, resource: string, kind: string): ResourceRef =>
  ({ group, version: 'v1', resource, kind, namespaced: true });

export const R = {
  namespaces: core('namespaces', 'Namespace', false),
  nodes: core('nodes', 'Node', false),
  pods: core('pods', 'Pod'),
  services: core('services', 'Service'),
  endpoints: core('endpoints', 'Endpoints'),
  events: core('events', 'Event'),
  configmaps: core('configmaps', 'ConfigMap'),
  secrets: core('secrets', 'Secret'),
  serviceaccounts: core('serviceaccounts', 'ServiceAccount'),
  resourcequotas: core('resourcequotas', 'ResourceQuota'),
  limitranges: core('limitranges', 'LimitRange'),
  persistentvolumes: core('persistentvolumes', 'PersistentVolume', false),
  persistentvolumeclaims: core('persistentvolumeclaims', 'PersistentVolumeClaim'),
  deployments: apps('deployments', 'Deployment'),
  replicasets: apps('replicasets', 'ReplicaSet'),
  daemonsets: apps('daemonsets', 'DaemonSet'),
  statefulsets: apps('statefulsets', 'StatefulSet'),
  controllerrevisions: apps('controllerrevisions', 'ControllerRevision'),
  jobs: grouped('batch', 'jobs', 'Job'),
  leases: grouped('coordination.k8s.io', 'leases', 'Lease'),
  endpointslices: grouped('discovery.k8s.io', 'endpointslices', 'EndpointSlice'),
  storageclasses: { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', namespaced: false },
} as const;

export function apiVersionOf(r: ResourceRef): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Path of a collection or of one object: /api/v1/namespaces/default/pods/web-1/status. */
export function resourcePath(r: ResourceRef, ns?: string, name?: string, sub?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && ns) p += `/namespaces/${encodeURIComponent(ns)}`;
  p += `/${r.resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}
