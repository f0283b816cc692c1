// VolumeRestrictions (upstream plugins/volumerestrictions, ReadWriteOncePod part): a claim with
// access mode ReadWriteOncePod may be used by one pod in the whole cluster; while another
// scheduled pod uses it, the pod fits nowhere (a deleted user frees it: the pod is retried).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { success, unschedulable, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { noVolumes, type VolumeLookup } from './volume-binding.js';

export const ERR_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

const claimsOf = (p: Pod) => (p.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));

export class VolumeRestrictions implements FilterPlugin {
  readonly name = 'VolumeRestrictions';
  private state?: { pod: Pod; conflicts: number };

  constructor(private readonly lookup: VolumeLookup = noVolumes) {}

  preFilter(pod: Pod, nodes: NodeInfo[]): Status | undefined {
    const ns = pod.metadata?.namespace ?? 'default';
    const rwop = new Set(claimsOf(pod).filter((c) => this.lookup.claim(ns, c)?.spec?.accessModes?.includes('ReadWriteOncePod')));
    let conflicts = 0;
    if (rwop.size) {
      for (const n of nodes) {
        for (const other of n.pods.values()) {
          if (other.metadata?.uid === pod.metadata?.uid || (other.metadata?.namespace ?? 'default') !== ns) continue;
          conflicts += claimsOf(other).filter((c) => rwop.has(c)).length;
        }
      }
    }
    this.state = { pod, conflicts };
    return undefined;
  }

  filter(pod: Pod): Status {
    if (this.state?.pod === pod && this.state.conflicts > 0) return unschedulable(ERR_RWOP_CONFLICT);
    return success();
  }
}
