// ownerReferences helpers: who controls an object, and the controller ref a new child carries.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../client/api-client.js';

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  const refs = (obj.metadata?.ownerReferences ?? []) as OwnerReference[];
  return refs.find((r) => r.controller === true);
}

/** The ownerReference a controller puts on the objects it creates (controller + blockOwnerDeletion). */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion, kind,
    name: owner.metadata!.name as string,
    uid: owner.metadata!.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** True when `obj` is controlled by the object with this uid. */
export function isControlledBy(obj: KubeObject, uid: string | undefined): boolean {
  return !!uid && controllerRef(obj)?.uid === uid;
}
