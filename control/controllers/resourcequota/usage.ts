// Pure ResourceQuota arithmetic (upstream quota/v1/evaluator/core): what the pods in a namespace
// use (pods, requests.*/limits.*, bare cpu/memory = requests) and object counts
// (count/<resource>[.<group>] and the legacy names: services, secrets, configmaps, …),
// with usage printed as canonical quantities ("500m", "2", "128Mi").
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { intValue, milliCpu } from '../../client/quantity.js';

/** Legacy quota names that count objects of a core resource. */
export const LEGACY_COUNTS: Record<string, string> = {
  services: 'services', secrets: 'secrets', configmaps: 'configmaps', persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas',
};

/** A quota counts a pod while it is not finished (upstream QuotaV1Pod; deleting pods still count). */
export const podCounts = (p: Pod) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

const isCpu = (name: string) => name === 'cpu' || name.endsWith('.cpu');

function sumContainers(pod: Pod, kind: 'requests' | 'limits', res: string): number {
  const val = (c: Container) => {
    const q = c.resources?.[kind]?.[res] ?? (kind === 'requests' ? c.resources?.limits?.[res] : undefined);
    return q === undefined ? 0 : isCpu(res) ? milliCpu(q) : intValue(q);
  };
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) sum += val(c);
  for (const c of pod.spec?.initContainers ?? []) sum = Math.max(sum, val(c));
  return sum;
}

/** Usage of one quota resource name by these pods, as a number (millicores for cpu). */
export function podUsage(name: string, pods: Pod[]): number | undefined {
  const live = pods.filter(podCounts);
  if (name === 'pods' || name === 'count/pods') return live.length;
  const m = /^(requests|limits)\.(.+)$/.exec(name);
  const kind = m ? (m[1] as 'requests' | 'limits') : 'requests';
  const res = m ? m[2]! : name;
  if (!m && res !== 'cpu' && res !== 'memory' && res !== 'ephemeral-storage') return undefined;
  return live.reduce((n, p) => n + sumContainers(p, kind, res), 0);
}

/** The resource an object-count quota name counts: "count/deployments.apps" → {resource, group}. */
export function countedResource(name: string): { resource: string; group: string } | undefined {
  if (LEGACY_COUNTS[name]) return { resource: LEGACY_COUNTS[name]!, group: '' };
  const m = /^count\/([a-z0-9-]+)(?:\.(.+))?$/.exec(name);
  return m ? { resource: m[1]!, group: m[2] ?? '' } : undefined;
}

const BIN: Array<[string, number]> = [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];

/** Canonical quantity text for a usage number of this resource name. */
export function formatUsage(name: string, v: number): string {
  if (isCpu(name)) return v % 1000 === 0 ? String(v / 1000) : `${v}m`;
  if (/memory|storage/.test(name) && v > 0) {
    for (const [s, f] of BIN) if (v % f === 0) return `${v / f}${s}`;
  }
  return String(v);
}
