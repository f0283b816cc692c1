// The API server's connections to kubelets: pods/log, pods/exec, pods/portforward proxied to
// the kubelet of the pod's node, and metrics.k8s.io served from kubelets' /stats/summary.
// (Placeholder: no handlers yet.)
import type { ApiExtension } from '../extension.js';

export function kubeletProxyExtension(): ApiExtension {
  return {};
}
