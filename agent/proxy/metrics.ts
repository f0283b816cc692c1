// kube-proxy's Prometheus metrics, named as upstream's: sync duration, last sync time and
// the number of rules per table. Registered once per process in prom-client's default
// registry, so whoever serves /metrics for the agent shows them.
import { Counter, Gauge, Histogram, register, type Metric } from '../../control/metrics/prom.js';

function once<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const syncDuration = once('kubeproxy_sync_proxy_rules_duration_seconds', () => new Histogram({
  name: 'kubeproxy_sync_proxy_rules_duration_seconds',
  help: 'SyncProxyRules latency in seconds (render + iptables-restore)',
  buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
}));

export const lastSyncTimestamp = once('kubeproxy_sync_proxy_rules_last_timestamp_seconds', () => new Gauge({
  name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
  help: 'The last time proxy rules were successfully synced',
}));

export const ruleCount = once('kubeproxy_sync_proxy_rules_iptables_total', () => new Gauge({
  name: 'kubeproxy_sync_proxy_rules_iptables_total',
  help: 'Number of rules kube-proxy wrote in its last sync, per table',
  labelNames: ['table'],
}));

export const syncFailures = once('kubeproxy_sync_proxy_rules_iptables_restore_failures_total', () => new Counter({
  name: 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total',
  help: 'Failed iptables-restore runs',
}));

export const syncKindDuration = once('kubeproxy_sync_proxy_rules_kind_duration_seconds', () => new Histogram({
  name: 'kubeproxy_sync_proxy_rules_kind_duration_seconds',
  help: 'SyncProxyRules latency in seconds by kind: full (every chain rewritten) or partial (changed Services only)',
  labelNames: ['kind'],
  buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
}));

export const partialSyncFailures = once('kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total', () => new Counter({
  name: 'kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total',
  help: 'Partial iptables-restore runs that failed (a full sync follows)',
}));

export const lastQueuedTimestamp = once('kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', () => new Gauge({
  name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds',
  help: 'The last time a sync of proxy rules was queued',
}));
