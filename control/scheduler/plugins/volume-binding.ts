// VolumeBinding (static binding only): a pod whose volumes cannot be mounted anywhere, or not on
// this node. A persistentVolumeClaim volume needs the claim to exist and be bound (every claim is
// Immediate: there are no StorageClasses to ask for WaitForFirstConsumer) to a volume that
// exists; a PersistentVolume with node affinity limits the pod to those nodes. Lookups come from the
// scheduler's informers (none when the API server serves no PVCs: every claim is missing).
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { success, unresolvable, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { termMatches } from './node-affinity.js';

export const ERR_VOLUME_NODE = 'node(s) had volume node affinity conflict';
export const ERR_UNBOUND = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
}

export const noVolumes: VolumeLookup = { claim: () => undefined, volume: () => undefined };

export class VolumeBinding implements FilterPlugin {
  readonly name = 'VolumeBinding';
  private state?: { pod: Pod; volumes: PersistentVolume[] };

  constructor(private readonly lookup: VolumeLookup = noVolumes) {}

  preFilter(pod: Pod): Status | undefined {
    const volumes: PersistentVolume[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      const pvc = this.lookup.claim(pod.metadata?.namespace ?? 'default', claimName);
      if (!pvc) return unresolvable(`persistentvolumeclaim "${claimName}" not found`);
      if (pvc.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${claimName}" is being deleted`);
      if (!pvc.spec?.volumeName) return unresolvable(ERR_UNBOUND);
      const pv = this.lookup.volume(pvc.spec.volumeName);
      if (!pv) return unresolvable(ERR_PV_NOT_EXIST);
      volumes.push(pv);
    }
    this.state = { pod, volumes };
    return undefined;
  }

  filter(pod: Pod, n: NodeInfo): Status {
    if (this.state?.pod !== pod || !n.node) return success();
    for (const pv of this.state.volumes) {
      const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
      if (terms?.length && !terms.some((t) => termMatches(t, n.node!))) return unresolvable(ERR_VOLUME_NODE);
    }
    return success();
  }
}
