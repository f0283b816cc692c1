// Leader election through a coordination.k8s.io Lease (upstream client-go leaderelection):
// candidates race to create or take over an expired Lease with an optimistic-locked update;
// the holder renews it every retry period and steps down if it cannot renew within the renew
// deadline. Several schedulers or controller managers → exactly one runs its loops.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from './api-client.js';
import { R } from './resources.js';
import { logger, type Logger } from './log.js';
import type { Gauge } from '../metrics/prom.js';

export interface LeaderElectionConfig {
  /** Lease name: kube-scheduler, kube-controller-manager. */
  name: string;
  namespace?: string; // kube-system
  identity?: string; // <hostname>_<uuid>, as upstream
  // Upstream defaults are 15/10/2 s; 12/8/2 makes a standby take over within 15 s of the
  // leader's death (expiry ≤ 12 s after its last renew + one retry period).
  leaseDurationSeconds?: number; // 12
  renewDeadlineSeconds?: number; // 8
  retryPeriodSeconds?: number; // 2
  onStartedLeading(): Promise<void> | void;
  onStoppedLeading(): Promise<void> | void;
  onNewLeader?(identity: string): void;
}

type L = Lease & KubeObject;

/** MicroTime as the API prints it: RFC 3339 with microseconds. */
const microNow = () => new Date().toISOString().replace(/Z$/, '000Z');

export class LeaderElector {
  readonly identity: string;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private observed?: string;
  private wake?: () => void;
  private readonly log;
  private readonly ns: string;
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;

  constructor(private readonly client: ApiClient, private readonly cfg: LeaderElectionConfig) {
    this.identity = cfg.identity ?? `${hostname()}_${randomUUID()}`;
    this.ns = cfg.namespace ?? 'kube-system';
    this.durationMs = (cfg.leaseDurationSeconds ?? 12) * 1000;
    this.renewDeadlineMs = (cfg.renewDeadlineSeconds ?? 8) * 1000;
    this.retryMs = (cfg.retryPeriodSeconds ?? 2) * 1000;
    this.log = logger('leader-election', { lease: `${this.ns}/${cfg.name}` });
  }

  isLeader(): boolean { return this.leading; }

  /** Healthy unless we lead and have failed to renew for longer than the lease lasts. */
  healthy(): boolean { return !this.leading || Date.now() - this.lastRenew < this.durationMs + this.retryMs; }

  /** Runs until stop(): acquire → lead (renew) → lost → acquire again. */
  async run(): Promise<void> {
    while (!this.stopped) {
      if (!(await this.tryAcquireOrRenew())) { await this.sleep(this.retryMs * (1 + Math.random() * 0.1)); continue; }
      this.leading = true;
      this.log.info({ identity: this.identity }, 'became leader');
      await this.cfg.onStartedLeading();
      while (!this.stopped) {
        await this.sleep(this.retryMs);
        if (this.stopped) break;
        if (await this.tryAcquireOrRenew()) continue;
        if (Date.now() - this.lastRenew > this.renewDeadlineMs) break; // upstream: failed to renew in time
      }
      this.leading = false;
      if (!this.stopped) this.log.warn({ identity: this.identity }, 'leadership lost');
      await this.cfg.onStoppedLeading();
    }
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (!this.leading) return;
    try {
      const cur = await this.client.get<L>(R.leases, this.cfg.name, this.ns);
      if (cur.spec?.holderIdentity === this.identity) {
        await this.client.update(R.leases, { ...cur, spec: { ...cur.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microNow() } });
      }
    } catch { /* best effort */ }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      const t = setTimeout(res, ms);
      this.wake = () => { clearTimeout(t); res(); };
    });
  }

  /** One attempt (upstream tryAcquireOrRenew); true when we hold the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const spec = (transitions: number, acquired: string | undefined) => ({
      holderIdentity: this.identity, leaseDurationSeconds: this.durationMs / 1000,
      acquireTime: acquired ?? microNow(), renewTime: microNow(), leaseTransitions: transitions,
    });
    try {
      let cur: L;
      try {
        cur = await this.client.get<L>(R.leases, this.cfg.name, this.ns);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.client.create<L>(R.leases, { metadata: { name: this.cfg.name, namespace: this.ns }, spec: spec(0, undefined) });
        this.lastRenew = now;
        this.observe(this.identity);
        return true;
      }
      const holder = cur.spec?.holderIdentity ?? '';
      const renewed = Date.parse(cur.spec?.renewTime ?? '') || 0;
      const expired = !holder || renewed + (cur.spec?.leaseDurationSeconds ?? 15) * 1000 < now;
      this.observe(holder);
      if (holder !== this.identity && !expired) return false;
      const mine = holder === this.identity;
      await this.client.update<L>(R.leases, { ...cur, spec: spec((cur.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1), mine ? cur.spec?.acquireTime : undefined) });
      this.lastRenew = now;
      this.observe(this.identity);
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.debug({ err: (err as Error).message }, 'lease attempt failed');
      return false;
    }
  }

  private observe(holder: string): void {
    if (holder && holder !== this.observed) {
      this.observed = holder;
      this.cfg.onNewLeader?.(holder);
    }
  }
}

/**
 * Runs `start` while this process holds the Lease `name` and `stop` when it loses it (or runs
 * at once when leaderElect is false): the shape the scheduler and controller manager share.
 * The gauge (leader_election_master_status) shows 1 while leading.
 */
export async function runWhileLeading(client: ApiClient, o: {
  name: string; leaderElect?: boolean; gauge: Gauge<'name'>; log: Logger;
  start(): Promise<void>; stop(): void;
}): Promise<LeaderElector | undefined> {
  if (o.leaderElect === false) {
    await o.start();
    o.gauge.set({ name: o.name }, 1);
    return undefined;
  }
  const elector = new LeaderElector(client, {
    name: o.name,
    onStartedLeading: async () => { o.gauge.set({ name: o.name }, 1); await o.start(); },
    onStoppedLeading: () => { o.gauge.set({ name: o.name }, 0); o.stop(); },
    onNewLeader: (id) => o.log.info({ leader: id }, 'new leader observed'),
  });
  void elector.run();
  return elector;
}
