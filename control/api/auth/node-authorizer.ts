// The Node authorizer: a kubelet (user system:node:<name> in group system:nodes) may read the
// secrets, configmaps, persistent volume claims and service accounts only of pods bound to its
// node, write only its own Node, Lease and pods' status, and read what every node needs
// (pods, services, endpoints, nodes). Anything else: no opinion (RBAC may still decide).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Store } from '../storage.js';
import { allow, noOpinion, type Attributes, type Authorizer, type Decision } from './types.js';

const READ = ['get', 'list', 'watch'];
const NODE_PREFIX = 'system:node:';

/** What any node may do, whatever the object (upstream's NodeRules, trimmed to what tskube uses). */
const general: Array<{ groups: string[]; resources: string[]; verbs: string[] }> = [
  { groups: [''], resources: ['pods'], verbs: READ },
  { groups: [''], resources: ['services', 'endpoints', 'nodes', 'namespaces'], verbs: READ },
  { groups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { groups: [''], resources: ['nodes'], verbs: ['create'] },
  { groups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
  { groups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { groups: ['authorization.k8s.io'], resources: ['subjectaccessreviews', 'selfsubjectaccessreviews'], verbs: ['create'] },
  { groups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
  { groups: [''], resources: ['persistentvolumes'], verbs: ['get'] },
];

export const nodeNameOf = (user: { username: string; groups: string[] }): string | undefined =>
  user.groups.includes('system:nodes') && user.username.startsWith(NODE_PREFIX) ? user.username.slice(NODE_PREFIX.length) || undefined : undefined;

/** Does a pod reference ns/<kind>/<name>? */
export function podReferences(p: Pod, kind: 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts', name: string): boolean {
  const s = p.spec;
  if (!s) return false;
  if (kind === 'serviceaccounts') return (s.serviceAccountName || 'default') === name;
  const containers = [...(s.containers ?? []), ...(s.initContainers ?? []), ...((s.ephemeralContainers ?? []) as typeof s.containers)];
  for (const v of s.volumes ?? []) {
    if (kind === 'secrets' && v.secret?.secretName === name) return true;
    if (kind === 'configmaps' && v.configMap?.name === name) return true;
    if (kind === 'persistentvolumeclaims' && v.persistentVolumeClaim?.claimName === name) return true;
    for (const src of v.projected?.sources ?? []) {
      if (kind === 'secrets' && src.secret?.name === name) return true;
      if (kind === 'configmaps' && src.configMap?.name === name) return true;
    }
  }
  if (kind === 'secrets' && (s.imagePullSecrets ?? []).some((r) => r.name === name)) return true;
  for (const c of containers) {
    for (const e of c.envFrom ?? []) {
      if (kind === 'secrets' && e.secretRef?.name === name) return true;
      if (kind === 'configmaps' && e.configMapRef?.name === name) return true;
    }
    for (const e of c.env ?? []) {
      if (kind === 'secrets' && e.valueFrom?.secretKeyRef?.name === name) return true;
      if (kind === 'configmaps' && e.valueFrom?.configMapKeyRef?.name === name) return true;
    }
  }
  return false;
}

export class NodeAuthorizer implements Authorizer {
  readonly name = 'Node';
  constructor(private readonly store: Store) {}

  private async podsOn(node: string, ns: string): Promise<Pod[]> {
    return ((await this.store.list({ resource: 'pods', namespaced: true }, ns)).items as Pod[]).filter((p) => p.spec?.nodeName === node);
  }

  async authorize(a: Attributes): Promise<Decision> {
    const node = nodeNameOf(a.user);
    if (!node || !a.resourceRequest) return noOpinion();
    const g = a.apiGroup ?? '', r = a.resource ?? '', sub = a.subresource;
    const deny = (why: string) => noOpinion(`no relationship found between node '${node}' and this object${why ? `: ${why}` : ''}`);
    // Objects reachable only through a pod on this node.
    if (g === '' && !sub && ['secrets', 'configmaps', 'persistentvolumeclaims'].includes(r)) {
      if (a.verb !== 'get' && !(a.name && (a.verb === 'list' || a.verb === 'watch'))) return deny('');
      if (!a.name || !a.namespace) return deny('');
      const pods = await this.podsOn(node, a.namespace);
      return pods.some((p) => podReferences(p, r as 'secrets', a.name!)) ? allow(`node '${node}' runs a pod that uses ${r} ${a.namespace}/${a.name}`) : deny('');
    }
    if (g === '' && r === 'serviceaccounts' && (sub === 'token' ? a.verb === 'create' : a.verb === 'get') && a.namespace && a.name) {
      const pods = await this.podsOn(node, a.namespace);
      return pods.some((p) => podReferences(p, 'serviceaccounts', a.name!)) ? allow() : deny('');
    }
    // Its own Node object and status.
    if (g === '' && r === 'nodes' && ['update', 'patch', 'delete', 'get'].includes(a.verb) && (!sub || sub === 'status')) {
      return a.name === node ? allow() : deny('a node may change only its own Node object');
    }
    // Its own Lease in kube-node-lease.
    if (g === 'coordination.k8s.io' && r === 'leases' && a.namespace === 'kube-node-lease') {
      if (a.verb === 'create' || (a.name === node && ['get', 'update', 'patch', 'delete'].includes(a.verb))) return allow();
      return deny('a node may use only its own Lease');
    }
    // Pods bound to it: status writes, deletion (after the grace period), eviction.
    if (g === '' && r === 'pods' && a.name && a.namespace && ((sub === 'status' && ['update', 'patch'].includes(a.verb)) || (!sub && a.verb === 'delete') || (sub === 'eviction' && a.verb === 'create'))) {
      const p = await this.store.get({ resource: 'pods', namespaced: true }, a.namespace, a.name);
      return !p || p.spec?.nodeName === node ? allow() : deny('the pod is bound to another node');
    }
    if (!sub && general.some((x) => x.groups.includes(g) && x.resources.includes(r) && x.verbs.includes(a.verb))) return allow();
    return noOpinion();
  }
}
