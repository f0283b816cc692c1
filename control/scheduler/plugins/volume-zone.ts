// VolumeZone (upstream plugins/volumezone): a bound PersistentVolume labelled with a zone or
// region (topology.kubernetes.io/zone, …/region, or the failure-domain.beta names; several values
// joined by "__") only serves pods on nodes carrying one of those values.
import type { PersistentVolume, Pod } from 'kubernetes-types/core/v1.js';
import { success, unresolvable, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { noVolumes, type VolumeLookup } from './volume-binding.js';

export const ERR_VOLUME_ZONE = 'node(s) had no available volume zone';

/** Each topology key with its other (GA ↔ beta) spelling, checked on nodes that lack the first. */
const TOPOLOGY: Record<string, string> = {
  'topology.kubernetes.io/zone': 'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region': 'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone': 'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region': 'topology.kubernetes.io/region',
};

interface Constraint { key: string; values: Set<string> }

export class VolumeZone implements FilterPlugin {
  readonly name = 'VolumeZone';
  private state?: { pod: Pod; constraints: Constraint[] };

  constructor(private readonly lookup: VolumeLookup = noVolumes) {}

  preFilter(pod: Pod): Status | undefined {
    const ns = pod.metadata?.namespace ?? 'default';
    const constraints: Constraint[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      const name = v.persistentVolumeClaim?.claimName;
      const pvName = name ? this.lookup.claim(ns, name)?.spec?.volumeName : undefined;
      const pv: PersistentVolume | undefined = pvName ? this.lookup.volume(pvName) : undefined;
      for (const [k, val] of Object.entries(pv?.metadata?.labels ?? {})) {
        if (k in TOPOLOGY) constraints.push({ key: k, values: new Set(val.split('__')) });
      }
    }
    this.state = { pod, constraints };
    return undefined;
  }

  filter(pod: Pod, n: NodeInfo): Status {
    if (this.state?.pod !== pod || !this.state.constraints.length || !n.node) return success();
    const labels = n.node.metadata?.labels ?? {};
    for (const c of this.state.constraints) {
      const v = labels[c.key] ?? labels[TOPOLOGY[c.key]!];
      if (v === undefined || !c.values.has(v)) return unresolvable(ERR_VOLUME_ZONE);
    }
    return success();
  }
}
