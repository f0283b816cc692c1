// VolumeBinding's PreBind (upstream volumebinding.BindPodVolumes, static volumes only): a pod's
// WaitForFirstConsumer claims get their volumes once the pod has a node — the scheduler writes
// each chosen PersistentVolume's claimRef, then waits for the PV binder to finish binding the
// claims, before it binds the pod. A lost race for a volume fails the binding and the pod is retried.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient, KubeObject } from '../client/api-client.js';
import { R } from '../client/resources.js';
import { ANN_BOUND_BY_CONTROLLER, findBestMatch, isDelayBinding, isVolumeBoundToClaim } from '../controllers/persistentvolume/binder.js';
import type { VolumeLookup } from './plugins/volume-binding.js';

const BIND_TIMEOUT_MS = 60_000; // upstream --bind-timeout-seconds is 600

/** The pod's claims that wait for it: unbound, in a WaitForFirstConsumer class. */
export function delayedClaims(pod: Pod, lookup: VolumeLookup): PersistentVolumeClaim[] {
  const ns = pod.metadata?.namespace ?? 'default';
  return (pod.spec?.volumes ?? []).flatMap((v) => {
    const c = v.persistentVolumeClaim?.claimName ? lookup.claim(ns, v.persistentVolumeClaim.claimName) : undefined;
    return c && !c.spec?.volumeName && isDelayBinding(c, (n) => lookup.storageClass?.(n)) ? [c] : [];
  });
}

export class VolumePreBinder {
  constructor(private readonly client: ApiClient, private readonly lookup: VolumeLookup) {}

  async preBind(pod: Pod, node: Node): Promise<void> {
    const claims = delayedClaims(pod, this.lookup);
    if (!claims.length) return;
    const taken = new Set<string>();
    for (const claim of claims) {
      const pv = findBestMatch(claim, this.lookup.volumes?.() ?? [], { node, taken });
      if (!pv) throw new Error(`no available persistent volume on node ${node.metadata?.name} for claim ${claim.metadata?.name}`);
      taken.add(pv.metadata!.name!);
      if (isVolumeBoundToClaim(pv, claim)) continue;
      const next = structuredClone(pv) as PersistentVolume & KubeObject;
      next.spec!.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid, resourceVersion: claim.metadata!.resourceVersion };
      next.metadata!.annotations = { ...next.metadata!.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      try {
        await this.client.update(R.persistentvolumes, next);
      } catch (err) { // not an ApiError: the scheduler retries the pod rather than dropping it
        throw new Error(`binding volume ${pv.metadata?.name} to claim ${claim.metadata?.name}: ${(err as Error).message}`);
      }
    }
    const ns = pod.metadata?.namespace ?? 'default';
    const deadline = Date.now() + BIND_TIMEOUT_MS;
    while (!claims.every((c) => this.lookup.claim(ns, c.metadata!.name!)?.status?.phase === 'Bound')) {
      if (Date.now() > deadline) throw new Error('binding volumes: timed out waiting for the claims to be bound');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
