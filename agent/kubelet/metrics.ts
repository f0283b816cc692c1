// The kubelet's Prometheus metrics, served on :10250/metrics. Names follow upstream's where
// an upstream metric exists (kubelet_pod_start_duration_seconds, kubelet_running_pods …).
import { Counter, Gauge, Histogram, Registry, processMetrics } from '../../control/metrics/prom.js';

export function kubeletMetrics() {
  const registry = new Registry();
  // The event-loop lag sampler wakes the loop every 100 ms (prom-client defaults to 10):
  // keeps an idle agent idle.
  processMetrics(registry, { lagResolutionMs: 100 });
  const buckets = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60];
  return {
    registry,
    podStartDuration: new Histogram({ name: 'kubelet_pod_start_duration_seconds', help: 'Seconds from the kubelet first seeing a pod to all its containers running', buckets, registers: [registry] }),
    podWorkerDuration: new Histogram({ name: 'kubelet_pod_worker_duration_seconds', help: 'Seconds per pod sync', labelNames: ['operation'], buckets, registers: [registry] }),
    plegRelistDuration: new Histogram({ name: 'kubelet_pleg_relist_duration_seconds', help: 'Seconds per PLEG relist', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [registry] }),
    runningPods: new Gauge({ name: 'kubelet_running_pods', help: 'Pods with a ready sandbox', registers: [registry] }),
    runningContainers: new Gauge({ name: 'kubelet_running_containers', help: 'Containers by state', labelNames: ['container_state'], registers: [registry] }),
    syncErrors: new Counter({ name: 'kubelet_pod_sync_errors_total', help: 'Pod syncs that failed and were requeued', registers: [registry] }),
  };
}

export type KubeletMetrics = ReturnType<typeof kubeletMetrics>;
