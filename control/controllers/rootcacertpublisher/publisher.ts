// Root CA publisher (upstream's root-ca-cert-publisher): every active namespace holds the
// ConfigMap kube-root-ca.crt with the cluster CA, which the kube-api-access volume of every
// pod projects as ca.crt next to its service-account token.
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { SharedInformers } from '../informers.js';
import type { Controller } from '../util/run.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export class RootCACertPublisher implements Controller {
  readonly name = 'root-ca-cert-publisher';
  readonly queue = new WorkQueue();
  private readonly nsInf;
  private readonly cmInf;

  constructor(private readonly client: ApiClient, informers: SharedInformers, private readonly caPem: string) {
    this.nsInf = informers.for<Namespace>(R.namespaces);
    this.cmInf = informers.for<ConfigMap>(R.configmaps);
    this.nsInf.onAdd((n) => this.queue.add(keyOf(n)));
    this.cmInf.onChange((cm) => { if (cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) this.queue.add(cm.metadata.namespace); });
  }

  enqueueAll(): void { for (const n of this.nsInf.list()) this.queue.add(keyOf(n)); }

  async sync(ns: string): Promise<void> {
    const n = this.nsInf.get(ns);
    if (!n || n.metadata?.deletionTimestamp) return;
    const cur = this.cmInf.get(`${ns}/${ROOT_CA_CONFIGMAP}`);
    if (cur?.data?.['ca.crt'] === this.caPem) return;
    const want: ConfigMap & KubeObject = {
      ...(cur ?? {}),
      metadata: { ...(cur?.metadata ?? {}), name: ROOT_CA_CONFIGMAP, namespace: ns },
      data: { 'ca.crt': this.caPem },
    };
    try {
      if (cur) await this.client.update(R.configmaps, want);
      else await this.client.create(R.configmaps, want, ns);
    } catch (err) {
      if (!isConflict(err)) throw err; // our cache is behind: the next event brings us back
    }
  }
}
