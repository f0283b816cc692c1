// Upstream's list semantics for the generated schemas: patch strategy and merge key
// (+patchStrategy/+patchMergeKey tags) and list type (+listType/+listMapKey) of the fields
// that have them in k8s.io/api. kubernetes-types drops these tags, so they are listed here.
export interface ListExtensions {
  strategy?: string;
  mergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
}

const mergeBy = (mergeKey: string, listType?: 'atomic' | 'map', mapKeys?: string[]): ListExtensions =>
  ({ strategy: 'merge', mergeKey, ...(listType ? { listType } : {}), ...(mapKeys ? { mapKeys } : {}) });
const atomic: ListExtensions = { listType: 'atomic' };
const conditions = mergeBy('type');

/** Keyed "<definition>.<property>", definitions named as upstream (io.k8s.api.core.v1.PodSpec). */
export const listExtensions: Record<string, ListExtensions> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.finalizers': { strategy: 'merge', listType: 'set' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.ownerReferences': mergeBy('uid', 'map', ['uid']),
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.managedFields': atomic,
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector.matchExpressions': atomic,
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement.values': atomic,

  'io.k8s.api.core.v1.PodSpec.volumes': { strategy: 'merge,retainKeys', mergeKey: 'name', listType: 'map', mapKeys: ['name'] },
  'io.k8s.api.core.v1.PodSpec.initContainers': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.PodSpec.containers': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.PodSpec.ephemeralContainers': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.PodSpec.imagePullSecrets': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.PodSpec.hostAliases': mergeBy('ip', 'map', ['ip']),
  'io.k8s.api.core.v1.PodSpec.tolerations': atomic,
  'io.k8s.api.core.v1.PodSpec.topologySpreadConstraints': mergeBy('topologyKey', 'map', ['topologyKey', 'whenUnsatisfiable']),
  'io.k8s.api.core.v1.PodSpec.resourceClaims': { strategy: 'merge,retainKeys', mergeKey: 'name', listType: 'map', mapKeys: ['name'] },
  'io.k8s.api.core.v1.PodSpec.schedulingGates': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.PodSpec.readinessGates': atomic,
  'io.k8s.api.core.v1.Container.ports': mergeBy('containerPort', 'map', ['containerPort', 'protocol']),
  'io.k8s.api.core.v1.Container.env': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.Container.envFrom': atomic,
  'io.k8s.api.core.v1.Container.volumeMounts': mergeBy('mountPath', 'map', ['mountPath']),
  'io.k8s.api.core.v1.Container.volumeDevices': mergeBy('devicePath', 'map', ['devicePath']),
  'io.k8s.api.core.v1.Container.command': atomic,
  'io.k8s.api.core.v1.Container.args': atomic,
  'io.k8s.api.core.v1.Container.resizePolicy': atomic,
  'io.k8s.api.core.v1.EphemeralContainer.ports': mergeBy('containerPort', 'map', ['containerPort', 'protocol']),
  'io.k8s.api.core.v1.EphemeralContainer.env': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.EphemeralContainer.volumeMounts': mergeBy('mountPath', 'map', ['mountPath']),
  'io.k8s.api.core.v1.EphemeralContainer.volumeDevices': mergeBy('devicePath', 'map', ['devicePath']),
  'io.k8s.api.core.v1.PodStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.core.v1.PodStatus.podIPs': mergeBy('ip', 'map', ['ip']),
  'io.k8s.api.core.v1.PodStatus.hostIPs': mergeBy('ip', 'atomic'),
  'io.k8s.api.core.v1.PodStatus.containerStatuses': atomic,
  'io.k8s.api.core.v1.PodStatus.initContainerStatuses': atomic,
  'io.k8s.api.core.v1.PodStatus.ephemeralContainerStatuses': atomic,
  'io.k8s.api.core.v1.ServiceSpec.ports': mergeBy('port', 'map', ['port', 'protocol']),
  'io.k8s.api.core.v1.ServiceSpec.clusterIPs': atomic,
  'io.k8s.api.core.v1.ServiceSpec.externalIPs': atomic,
  'io.k8s.api.core.v1.ServiceSpec.ipFamilies': atomic,
  'io.k8s.api.core.v1.ServiceSpec.loadBalancerSourceRanges': atomic,
  'io.k8s.api.core.v1.ServiceStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.core.v1.NodeSpec.podCIDRs': { strategy: 'merge', listType: 'set' },
  'io.k8s.api.core.v1.NodeSpec.taints': atomic,
  'io.k8s.api.core.v1.NodeStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.core.v1.NodeStatus.addresses': mergeBy('type', 'map', ['type']),
  'io.k8s.api.core.v1.NodeStatus.images': atomic,
  'io.k8s.api.core.v1.NodeStatus.volumesInUse': atomic,
  'io.k8s.api.core.v1.NodeStatus.volumesAttached': atomic,
  'io.k8s.api.core.v1.NamespaceStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.core.v1.NamespaceSpec.finalizers': atomic,
  'io.k8s.api.core.v1.ServiceAccount.secrets': mergeBy('name', 'map', ['name']),
  'io.k8s.api.core.v1.ServiceAccount.imagePullSecrets': atomic,
  'io.k8s.api.core.v1.Endpoints.subsets': atomic,
  'io.k8s.api.core.v1.EndpointSubset.addresses': atomic,
  'io.k8s.api.core.v1.EndpointSubset.notReadyAddresses': atomic,
  'io.k8s.api.core.v1.EndpointSubset.ports': atomic,
  'io.k8s.api.core.v1.ResourceQuotaSpec.scopes': atomic,
  'io.k8s.api.core.v1.LimitRangeSpec.limits': atomic,
  'io.k8s.api.core.v1.NodeSelector.nodeSelectorTerms': atomic,
  'io.k8s.api.core.v1.NodeSelectorTerm.matchExpressions': atomic,
  'io.k8s.api.core.v1.NodeSelectorTerm.matchFields': atomic,
  'io.k8s.api.core.v1.Capabilities.add': atomic,
  'io.k8s.api.core.v1.Capabilities.drop': atomic,
  'io.k8s.api.core.v1.ComponentStatus.conditions': mergeBy('type', 'map', ['type']),

  'io.k8s.api.apps.v1.DeploymentStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.apps.v1.ReplicaSetStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.apps.v1.DaemonSetStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.apps.v1.StatefulSetStatus.conditions': mergeBy('type', 'map', ['type']),
  'io.k8s.api.apps.v1.StatefulSetSpec.volumeClaimTemplates': atomic,
  'io.k8s.api.batch.v1.JobStatus.conditions': { ...conditions, listType: 'atomic' },
  'io.k8s.api.batch.v1.CronJobStatus.active': atomic,
  'io.k8s.api.discovery.v1.EndpointSlice.endpoints': atomic,
  'io.k8s.api.discovery.v1.EndpointSlice.ports': atomic,
  'io.k8s.api.discovery.v1.Endpoint.addresses': { listType: 'set' },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus.conditions': mergeBy('type', 'map', ['type']),
};

/** The OpenAPI vendor extensions for one field, in upstream's spelling. */
export function extensionFields(e: ListExtensions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.listType) out['x-kubernetes-list-type'] = e.listType;
  if (e.mapKeys) out['x-kubernetes-list-map-keys'] = e.mapKeys;
  if (e.mergeKey) out['x-kubernetes-patch-merge-key'] = e.mergeKey;
  if (e.strategy) out['x-kubernetes-patch-strategy'] = e.strategy;
  return out;
}
