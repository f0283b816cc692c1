// Shared informers (upstream SharedInformerFactory): one list+watch per resource for all the
// controllers in a process. Controllers register handlers, then start() lists everything once.
import { ApiClient, type KubeObject } from '../client/api-client.js';
import { Informer, type InformerOptions } from '../client/informer.js';
import type { ResourceRef } from '../client/resources.js';

export class SharedInformers {
  private informers = new Map<string, Informer<KubeObject>>();
  private started = new Map<string, Promise<void>>();

  constructor(private readonly client: ApiClient, private readonly defaults: InformerOptions = { resyncSeconds: 300 }) {}

  /** The informer for a resource (optionally narrowed to a namespace), created on first use. */
  for<T>(r: ResourceRef, opts: InformerOptions = {}): Informer<T & KubeObject> {
    const key = `${r.group}/${r.resource}/${opts.namespace ?? ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<KubeObject>(this.client, r, { ...this.defaults, ...opts });
      this.informers.set(key, inf);
    }
    return inf as unknown as Informer<T & KubeObject>;
  }

  /** Starts every informer not yet started; resolves when all have listed once. */
  async start(): Promise<void> {
    const all: Promise<void>[] = [];
    for (const [key, inf] of this.informers) {
      let p = this.started.get(key);
      if (!p) { p = inf.start(); this.started.set(key, p); }
      all.push(p);
    }
    await Promise.all(all);
  }

  stop(): void {
    for (const inf of this.informers.values()) inf.stop();
  }
}
