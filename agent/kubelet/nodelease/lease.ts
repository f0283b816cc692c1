// Node heartbeat lease: kube-node-lease/<node> (coordination.k8s.io/v1), created if missing
// and renewed every 10 s; the node lifecycle controller reads renewTime to tell live nodes.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isConflict, isNotFound, type ApiClient } from '../../../control/client/api-client.js';
import type { Logger } from '../../../control/client/log.js';
import { R } from '../../../control/client/resources.js';
import { microTime } from '../util/time.js';

export const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_DURATION_SECONDS = 40;
const RENEW_MS = 10_000;

export class NodeLease {
  private lease?: Lease;
  private timer?: NodeJS.Timeout;

  constructor(private readonly client: ApiClient, private readonly nodeName: string, private readonly nodeUid: () => string, private readonly log: Logger) {}

  start(): void {
    const tick = () => this.renew().catch((err: Error) => this.log.warn({ err: err.message }, 'lease renew failed'));
    void tick();
    this.timer = setInterval(tick, RENEW_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async renew(): Promise<void> {
    const now = microTime();
    if (this.lease) {
      try {
        this.lease = await this.client.update<Lease>(R.leases, { ...this.lease, spec: { ...this.lease.spec, holderIdentity: this.nodeName, renewTime: now } });
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
        this.lease = undefined;
      }
    }
    try {
      const cur = await this.client.get<Lease>(R.leases, this.nodeName, LEASE_NAMESPACE);
      this.lease = await this.client.update<Lease>(R.leases, { ...cur, spec: { ...cur.spec, holderIdentity: this.nodeName, renewTime: now } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const uid = this.nodeUid();
      this.lease = await this.client.create<Lease>(R.leases, {
        metadata: { name: this.nodeName, namespace: LEASE_NAMESPACE,
          ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid }] } : {}) },
        spec: { holderIdentity: this.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now },
      }, LEASE_NAMESPACE);
    }
  }
}
