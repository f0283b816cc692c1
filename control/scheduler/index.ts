// The scheduler's entry point (upstream kube-scheduler): startScheduler(client, { schedulerName }).
// Several can run side by side; each schedules only the pods whose spec.schedulerName names it.
// Replicas of the same scheduler elect a leader through the kube-system Lease named after it
// (kube-scheduler for the default one); /healthz and /metrics are served on 127.0.0.1:10259.
import { Gauge, Registry } from '../metrics/prom.js';
import { ApiClient } from '../client/api-client.js';
import { LeaderElector, runWhileLeading } from '../client/leaderelection.js';
import { logger } from '../client/log.js';
import { SharedInformers } from '../controllers/informers.js';
import { startHealthServer } from '../controllers/util/health-server.js';
import type { SecureServingOptions } from '../serving/secure-serving.js';
import { Scheduler } from './scheduler.js';

export const SCHEDULER_PORT = 10259;

export interface SchedulerOptions {
  schedulerName?: string;
  /** Campaign for the scheduler's Lease first (default true). */
  leaderElect?: boolean;
  /** Lease name (default kube-scheduler, or the scheduler name for a second scheduler). */
  leaseName?: string;
  /** /healthz + /metrics port on 127.0.0.1 (default 10259 for default-scheduler, else none; negative: none). */
  healthPort?: number;
  /** HTTPS + delegated authn/authz on that port (upstream's secure serving); absent: plain HTTP. */
  serving?: SecureServingOptions;
}

export { Scheduler } from './scheduler.js';

export interface RunningScheduler { stop(): Promise<void>; isLeader(): boolean; current(): Scheduler | undefined; identity?: string; healthPort?: number }

const log = logger('scheduler');

export async function startScheduler(client: ApiClient, opts: SchedulerOptions = {}): Promise<RunningScheduler> {
  const name = opts.schedulerName ?? 'default-scheduler';
  let active: { s: Scheduler; informers: SharedInformers } | undefined;
  const start = async () => {
    const informers = new SharedInformers(client);
    const s = new Scheduler(client, informers, name);
    active = { s, informers };
    await s.start();
  };
  const stopActive = () => { active?.s.stop(); active?.informers.stop(); };
  let elector: LeaderElector | undefined;
  // Metrics come from whichever Scheduler instance is active (a new one after each re-election).
  const registry = new Registry();
  const leader = new Gauge({ name: 'leader_election_master_status', help: '1 while this instance leads.', labelNames: ['name'], registers: [registry] });
  const merged = { contentType: registry.contentType, metrics: async () => (await registry.metrics()) + (active ? await active.s.registry.metrics() : '') } as unknown as Registry;
  const defaultPort = name === 'default-scheduler' ? SCHEDULER_PORT : -1;
  const health = await startHealthServer({ component: 'scheduler', port: opts.healthPort ?? defaultPort, registry: merged,
    secure: opts.serving && { client, ...opts.serving },
    checks: { leaderElection: () => elector?.healthy() ?? true } });
  const leaseName = opts.leaseName ?? (name === 'default-scheduler' ? 'kube-scheduler' : name);
  elector = await runWhileLeading(client, {
    name: leaseName, leaderElect: opts.leaderElect, gauge: leader, log, start,
    stop: () => { stopActive(); active = undefined; },
  });
  return {
    identity: elector?.identity,
    healthPort: health?.port,
    isLeader: () => elector?.isLeader() ?? true,
    current: () => active?.s,
    async stop() {
      await elector?.stop();
      stopActive();
      await health?.close();
    },
  };
}
