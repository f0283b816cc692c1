// The default roles and bindings a cluster starts with (upstream's bootstrappolicy): cluster-admin
// for system:masters; the user-facing admin ⊇ edit ⊇ view built by aggregation from the
// system:aggregate-to-* roles; discovery and self-review for everyone signed in; and one role
// per control-plane component. Reconciled at start unless autoupdate is "false".
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { Obj, ResourceDef } from '../resource-def.js';
import type { Rest } from '../rest.js';
import { clusterroles, clusterrolebindings } from '../resources/rbac.js';

const R = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule =>
  ({ verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) });
const URL = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const BOOTSTRAP = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function role(name: string, rules: PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: string): ClusterRole {
  const r: ClusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: { ...BOOTSTRAP, ...labels }, annotations: AUTOUPDATE }, rules };
  if (aggregateFrom) r.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/${aggregateFrom}`]: 'true' } }] };
  return r;
}

function binding(name: string, roleName: string, subjects: Array<{ kind: 'User' | 'Group'; name: string }>): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels: BOOTSTRAP, annotations: AUTOUPDATE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: subjects.map((s) => ({ ...s, apiGroup: 'rbac.authorization.k8s.io' })),
  };
}

const podReadable = ['pods', 'pods/log', 'pods/status', 'configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status',
  'replicationcontrollers', 'replicationcontrollers/scale', 'replicationcontrollers/status', 'services', 'services/status',
  'bindings', 'events', 'limitranges', 'namespaces', 'namespaces/status', 'resourcequotas', 'resourcequotas/status', 'serviceaccounts'];
const appsResources = ['deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status',
  'daemonsets', 'daemonsets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status', 'controllerrevisions'];

export const defaultClusterRoles: ClusterRole[] = [
  role('cluster-admin', [R(['*'], ['*'], ['*']), URL(['*'], ['*'])]),
  role('admin', [], {}, 'aggregate-to-admin'),
  role('edit', [], { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }, 'aggregate-to-edit'),
  role('view', [], { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }, 'aggregate-to-view'),
  role('system:aggregate-to-view', [
    R(READ, [''], podReadable),
    R(READ, ['apps'], appsResources),
    R(READ, ['batch'], ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status']),
    R(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
    R(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
    R(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
    R(READ, ['discovery.k8s.io'], ['endpointslices']),
  ], { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }),
  role('system:aggregate-to-edit', [
    R([...WRITE], [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'configmaps', 'endpoints', 'persistentvolumeclaims',
      'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
    R([...READ], [''], ['secrets', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'services/proxy']),
    R(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
    R(['impersonate'], [''], ['serviceaccounts']),
    R(WRITE, ['apps'], appsResources.filter((r) => !r.endsWith('/status'))),
    R(WRITE, ['batch'], ['jobs', 'cronjobs']),
    R(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
    R(WRITE, ['policy'], ['poddisruptionbudgets']),
    R(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
    R(WRITE, ['discovery.k8s.io'], ['endpointslices']),
  ], { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }),
  role('system:aggregate-to-admin', [
    R(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
    R([...READ, ...WRITE], ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
  ], { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }),
  role('system:basic-user', [
    R(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    R(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  role('system:discovery', [URL(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/openapi', '/openapi/*', '/version', '/version/'])]),
  role('system:public-info-viewer', [URL(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
  // Who may scrape /metrics of the API server, kubelets, scheduler and controller manager.
  role('system:monitoring', [URL(['get'], ['/metrics', '/metrics/slis', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*', '/healthz/*'])]),
  role('system:auth-delegator', [R(['create'], ['authentication.k8s.io'], ['tokenreviews']), R(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])]),
  role('system:kube-scheduler', [
    R(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    R(['create'], ['coordination.k8s.io'], ['leases']),
    R(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
    R(['get', 'update'], ['coordination.k8s.io'], ['leases']),
    R(['delete', ...READ], [''], ['pods']),
    R(['create'], [''], ['bindings', 'pods/binding']),
    R(['patch', 'update'], [''], ['pods/status']),
    R(READ, [''], ['nodes', 'namespaces', 'services', 'replicationcontrollers', 'persistentvolumeclaims', 'persistentvolumes']),
    R(['update', 'patch'], [''], ['persistentvolumeclaims', 'persistentvolumes']), // volume binding (PreBind)
    R(READ, ['apps'], ['replicasets', 'statefulsets']),
    R(READ, ['policy'], ['poddisruptionbudgets']),
    R(READ, ['storage.k8s.io'], ['storageclasses', 'csinodes', 'csidrivers', 'csistoragecapacities']),
    R(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    R(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ]),
  // tskube's controller manager runs every controller under one identity (upstream gives each
  // its own service account): it reads and writes the workload, network and policy objects.
  role('system:kube-controller-manager', [
    R([...READ, ...WRITE], ['', 'apps', 'batch', 'discovery.k8s.io', 'coordination.k8s.io', 'policy', 'events.k8s.io', 'autoscaling'], ['*']),
    R(READ, ['storage.k8s.io'], ['storageclasses']),
    R(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    R(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ]),
  role('system:node-proxier', [
    R(READ, [''], ['services', 'endpoints', 'nodes']),
    R(READ, ['discovery.k8s.io'], ['endpointslices']),
    R(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  ]),
  role('system:persistent-volume-provisioner', [
    R(['create', 'delete', 'get', 'list', 'watch'], [''], ['persistentvolumes']),
    R(['get', 'list', 'watch', 'update'], [''], ['persistentvolumeclaims']),
    R(READ, ['storage.k8s.io'], ['storageclasses']),
    R(['watch', 'create', 'update', 'patch'], [''], ['events']),
  ]),
  role('system:kubelet-api-admin', [
    R(['get', 'list', 'watch', 'proxy'], [''], ['nodes']),
    R(['*'], [''], ['nodes/proxy', 'nodes/log', 'nodes/stats', 'nodes/metrics', 'nodes/spec']),
  ]),
];

export const defaultClusterRoleBindings: ClusterRoleBinding[] = [
  binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }]),
  binding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:discovery', 'system:discovery', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [{ kind: 'Group', name: 'system:authenticated' }, { kind: 'Group', name: 'system:unauthenticated' }]),
  binding('system:monitoring', 'system:monitoring', [{ kind: 'Group', name: 'system:monitoring' }]),
  binding('system:kube-scheduler', 'system:kube-scheduler', [{ kind: 'User', name: 'system:kube-scheduler' }]),
  binding('system:kube-controller-manager', 'system:kube-controller-manager', [{ kind: 'User', name: 'system:kube-controller-manager' }]),
  binding('system:node-proxier', 'system:node-proxier', [{ kind: 'User', name: 'system:kube-proxy' }]),
  binding('system:kube-apiserver-kubelet-client', 'system:kubelet-api-admin', [{ kind: 'User', name: 'kube-apiserver-kubelet-client' }]),
];

/** Creates missing default roles and bindings; resets changed ones unless autoupdate is "false". */
export async function reconcileDefaultPolicy(rest: Rest): Promise<void> {
  const sets: Array<[ResourceDef, Array<ClusterRole | ClusterRoleBinding>]> = [[clusterroles, defaultClusterRoles], [clusterrolebindings, defaultClusterRoleBindings]];
  for (const [def, objs] of sets) {
    for (const want of objs) {
      const name = want.metadata!.name!;
      const cur = await rest.store.get(def, undefined, name);
      if (!cur) { await rest.create({ def }, structuredClone(want)); continue; }
      if (cur.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'] === 'false') continue;
      const fields = ['rules', 'aggregationRule', 'subjects', 'roleRef'] as const;
      if (fields.every((f) => JSON.stringify(cur[f]) === JSON.stringify((want as Obj)[f]))) continue;
      const next: Obj = { ...cur, ...Object.fromEntries(fields.filter((f) => (want as Obj)[f] !== undefined).map((f) => [f, (want as Obj)[f]])) };
      if ((want as Obj).roleRef && JSON.stringify(cur.roleRef) !== JSON.stringify((want as Obj).roleRef)) {
        await rest.delete({ def, name }, {});
        await rest.create({ def }, structuredClone(want));
      } else await rest.update({ def, name }, next);
    }
  }
}
