// Prometheus metrics for every component: prom-client's metric classes loaded one by one, plus
// the process_* and nodejs_* series upstream binaries expose. prom-client's index also loads its
// default collectors (and through them @opentelemetry/api), the push gateway and the cluster
// aggregator: ~7 MiB resident that the node agent cannot spare (docs/agent-memory.md).
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as Prom from 'prom-client';

const load = createRequire(import.meta.url);
export const Registry: typeof Prom.Registry = load('prom-client/lib/registry');
export const Counter: typeof Prom.Counter = load('prom-client/lib/counter');
export const Gauge: typeof Prom.Gauge = load('prom-client/lib/gauge');
export const Histogram: typeof Prom.Histogram = load('prom-client/lib/histogram');
/** The process-wide registry (prom-client's `register`). */
export const register: Prom.Registry = (Registry as unknown as { globalRegistry: Prom.Registry }).globalRegistry;
export type Metric = Prom.Metric;
export type Registry = Prom.Registry;
export type Counter<T extends string = string> = Prom.Counter<T>;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export type Histogram<T extends string = string> = Prom.Histogram<T>;

/** Registers CPU seconds, resident memory, start time, open fds, heap and event-loop lag. */
export function processMetrics(registry: Prom.Registry, opts: { lagResolutionMs?: number } = {}): void {
  const registers = [registry];
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  let last = { user: 0, system: 0 }; // the counters start from the process's whole CPU time
  const user = new Counter({ name: 'process_cpu_user_seconds_total', help: 'User CPU time spent in seconds', registers });
  const system = new Counter({ name: 'process_cpu_system_seconds_total', help: 'System CPU time spent in seconds', registers });
  new Counter({
    name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds', registers,
    collect() {
      const now = process.cpuUsage();
      const du = (now.user - last.user) / 1e6, ds = (now.system - last.system) / 1e6;
      last = now;
      user.inc(du); system.inc(ds); this.inc(du + ds);
    },
  });
  new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes', registers, collect() { this.set(process.memoryUsage.rss()); } });
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds', registers, collect() { this.set(startSeconds); } });
  new Gauge({
    name: 'process_open_fds', help: 'Number of open file descriptors', registers,
    collect() { try { this.set(readdirSync('/proc/self/fd').length - 1); } catch { /* not Linux */ } },
  });
  const memory = (key: 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers') => function (this: Prom.Gauge) { this.set(process.memoryUsage()[key]); };
  new Gauge({ name: 'nodejs_heap_size_used_bytes', help: 'V8 heap in use, in bytes', registers, collect: memory('heapUsed') });
  new Gauge({ name: 'nodejs_heap_size_total_bytes', help: 'V8 heap reserved, in bytes', registers, collect: memory('heapTotal') });
  new Gauge({ name: 'nodejs_external_memory_bytes', help: 'Memory outside the V8 heap held by JavaScript objects (Buffers), in bytes', registers, collect: memory('external') });
  const resolution = opts.lagResolutionMs ?? 100;
  const lag = monitorEventLoopDelay({ resolution });
  lag.enable();
  new Gauge({
    name: 'nodejs_eventloop_lag_p99_seconds', help: '99th percentile of event-loop delay since the last scrape', registers,
    // The histogram holds the time between the sampler's ticks: the delay is what exceeds its period.
    collect() { this.set(lag.count ? Math.max(0, lag.percentile(99) / 1e9 - resolution / 1e3) : 0); lag.reset(); },
  });
}
