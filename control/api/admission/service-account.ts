// ServiceAccount: a pod without spec.serviceAccountName runs as the namespace's `default`
// service account, and (when the API server issues tokens) gets upstream's kube-api-access
// projected volume — a bound token, the cluster CA and its namespace — mounted in every
// container at /var/run/secrets/kubernetes.io/serviceaccount.
import type { Obj } from '../resource-def.js';
import type { AdmissionPlugin } from './plugin.js';
import { serviceaccounts } from '../resources/config.js';

export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const suffix = () => Array.from({ length: 5 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(Math.random() * 27)]).join('');

function apiAccessVolume(): Obj {
  return {
    name: `kube-api-access-${suffix()}`,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

export const serviceAccount: AdmissionPlugin = {
  name: 'ServiceAccount',
  async mutate({ op, def, obj, sub, store, serviceAccountTokens }) {
    if (def.resource !== 'pods' || op !== 'CREATE' || sub) return;
    const spec = obj.spec ?? {};
    spec.serviceAccountName ||= spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName; // the deprecated alias upstream still fills
    if (!serviceAccountTokens || spec.automountServiceAccountToken === false) return;
    const sa = await store.getCached(serviceaccounts, obj.metadata.namespace, spec.serviceAccountName);
    if (sa?.automountServiceAccountToken === false && spec.automountServiceAccountToken !== true) return;
    const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[];
    if (containers.some((c) => (c.volumeMounts ?? []).some((m: Obj) => m.mountPath === TOKEN_MOUNT_PATH))) return;
    const vol = apiAccessVolume();
    spec.volumes = [...(spec.volumes ?? []), vol];
    for (const c of containers) c.volumeMounts = [...(c.volumeMounts ?? []), { name: vol.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
  },
};
