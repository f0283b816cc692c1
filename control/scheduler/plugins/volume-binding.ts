// VolumeBinding (static volumes): a pod whose volumes cannot be mounted anywhere, or not on this
// node. A persistentVolumeClaim volume needs the claim to exist and be bound to a volume that
// exists — or, in a WaitForFirstConsumer class, an available volume this node may use (bound in
// PreBind, volume-prebind.ts); a PersistentVolume with node affinity limits the pod to those nodes.
// Lookups come from the scheduler's informers (none when the API server serves no PVCs).
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { success, unresolvable, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { findBestMatch, isDelayBinding, volumeFitsNode } from '../../controllers/persistentvolume/binder.js';

export const ERR_VOLUME_NODE = 'node(s) had volume node affinity conflict';
export const ERR_UNBOUND = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";

export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes?(): PersistentVolume[];
  storageClass?(name: string): StorageClass | undefined;
}

export const noVolumes: VolumeLookup = { claim: () => undefined, volume: () => undefined };

export class VolumeBinding implements FilterPlugin {
  readonly name = 'VolumeBinding';
  private state?: { pod: Pod; volumes: PersistentVolume[]; delayed: PersistentVolumeClaim[] };

  constructor(private readonly lookup: VolumeLookup = noVolumes) {}

  preFilter(pod: Pod): Status | undefined {
    const volumes: PersistentVolume[] = [];
    const delayed: PersistentVolumeClaim[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      const pvc = this.lookup.claim(pod.metadata?.namespace ?? 'default', claimName);
      if (!pvc) return unresolvable(`persistentvolumeclaim "${claimName}" not found`);
      if (pvc.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${claimName}" is being deleted`);
      if (!pvc.spec?.volumeName) {
        if (!isDelayBinding(pvc, (n) => this.lookup.storageClass?.(n))) return unresolvable(ERR_UNBOUND);
        delayed.push(pvc);
        continue;
      }
      const pv = this.lookup.volume(pvc.spec.volumeName);
      if (!pv) return unresolvable(ERR_PV_NOT_EXIST);
      volumes.push(pv);
    }
    this.state = { pod, volumes, delayed };
    return undefined;
  }

  filter(pod: Pod, n: NodeInfo): Status {
    if (this.state?.pod !== pod || !n.node) return success();
    for (const pv of this.state.volumes) if (!volumeFitsNode(pv, n.node)) return unresolvable(ERR_VOLUME_NODE);
    if (this.state.delayed.length) {
      const all = this.lookup.volumes?.() ?? [];
      const taken = new Set<string>();
      for (const claim of this.state.delayed) {
        const pv = findBestMatch(claim, all, { node: n.node, taken });
        if (!pv) return unresolvable(ERR_BIND_CONFLICT);
        taken.add(pv.metadata!.name!);
      }
    }
    return success();
  }
}
