// The resources the controllers use beyond control/client's R: the other workload kinds
// (DaemonSet, StatefulSet, Job) and the namespaced config objects. W = R plus these.
import { R, apiVersionOf, type ResourceRef } from '../../client/resources.js';

const ref = (group: string, resource: string, kind: string, namespaced = true): ResourceRef =>
  ({ group, version: 'v1', resource, kind, namespaced });

export const W = {
  ...R,
  daemonsets: ref('apps', 'daemonsets', 'DaemonSet'),
  statefulsets: ref('apps', 'statefulsets', 'StatefulSet'),
  jobs: ref('batch', 'jobs', 'Job'),
  serviceaccounts: ref('', 'serviceaccounts', 'ServiceAccount'),
  secrets: ref('', 'secrets', 'Secret'),
  configmaps: ref('', 'configmaps', 'ConfigMap'),
  resourcequotas: ref('', 'resourcequotas', 'ResourceQuota'),
  limitranges: ref('', 'limitranges', 'LimitRange'),
} as const;

/** The resource an ownerReference (apiVersion + kind) points at, among those known here. */
export function resourceForKind(apiVersion: string | undefined, kind: string | undefined): ResourceRef | undefined {
  return Object.values(W).find((r) => r.kind === kind && apiVersionOf(r) === apiVersion);
}
