// ServiceAccount: a pod without spec.serviceAccountName runs as the namespace's `default`
// service account; the pod's token volume is added once tokens exist (issue 7).
import type { AdmissionPlugin } from './plugin.js';

export const serviceAccount: AdmissionPlugin = {
  name: 'ServiceAccount',
  mutate({ op, def, obj, sub }) {
    if (def.resource !== 'pods' || op !== 'CREATE' || sub) return;
    const spec = obj.spec ?? {};
    spec.serviceAccountName ||= spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName; // the deprecated alias upstream still fills
  },
};
