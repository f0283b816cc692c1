// The labels the kubelet puts on CRI sandboxes and containers to find a pod's runtime objects
// again (after a restart too), named as upstream's kubelet names them.
export const POD_NAME = 'io.kubernetes.pod.name';
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const POD_UID = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME = 'io.kubernetes.container.name';

export interface PodRef { namespace: string; name: string; uid: string }

/** The pod a sandbox or container belongs to, from its labels (undefined if not ours). */
export function podRefOf(labels: Record<string, string> | undefined): PodRef | undefined {
  const uid = labels?.[POD_UID];
  const name = labels?.[POD_NAME];
  const namespace = labels?.[POD_NAMESPACE];
  return uid && name && namespace ? { uid, name, namespace } : undefined;
}
