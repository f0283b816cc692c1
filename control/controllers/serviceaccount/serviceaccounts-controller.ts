// ServiceAccount controller (upstream serviceaccount/serviceaccounts_controller): every active
// namespace has a `default` ServiceAccount; one deleted by hand comes back. Tokens for it are
// issue 7's work (TokenRequest); nothing here mints secrets.
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { SharedInformers } from '../informers.js';
import { W } from '../util/resources.js';
import { type Controller } from '../util/run.js';

export const DEFAULT_SA = 'default';

export class ServiceAccountsController implements Controller {
  readonly name = 'serviceaccount-controller';
  readonly queue = new WorkQueue();
  private readonly nsInf;
  private readonly saInf;
  private readonly log = logger('serviceaccount-controller');

  constructor(private readonly client: ApiClient, informers: SharedInformers, private readonly names: string[] = [DEFAULT_SA]) {
    this.nsInf = informers.for<Namespace>(R.namespaces);
    this.saInf = informers.for<ServiceAccount>(W.serviceaccounts);
    this.nsInf.onAdd((n) => this.queue.add(keyOf(n)));
    this.nsInf.onUpdate((_, n) => this.queue.add(keyOf(n)));
    this.saInf.onDelete((sa) => { if (sa.metadata?.namespace) this.queue.add(sa.metadata.namespace); });
  }

  enqueueAll(): void { for (const n of this.nsInf.list()) this.queue.add(keyOf(n)); }

  async sync(ns: string): Promise<void> {
    const n = this.nsInf.get(ns);
    if (!n || n.metadata?.deletionTimestamp || n.status?.phase === 'Terminating') return;
    for (const name of this.names) {
      if (this.saInf.get(`${ns}/${name}`)) continue;
      try {
        await this.client.create<ServiceAccount & KubeObject>(W.serviceaccounts, { metadata: { name, namespace: ns } });
        this.log.info({ namespace: ns, serviceAccount: name }, 'created service account');
      } catch (err) {
        if (!isConflict(err)) throw err; // 409: it exists, our cache is behind
      }
    }
  }
}
