// Node IPAM controller: gives every Node a spec.podCIDR/podCIDRs out of the cluster CIDR, one
// /24 each, never the same twice. The used set is rebuilt from the Nodes at start (restart-safe).
import type { Node } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { logger } from '../../client/log.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { runControllerLoop, type Controller, type Running } from '../util/run.js';
import { CidrAllocator } from './cidr-allocator.js';

export interface NodeIpamOptions { clusterCidr?: string; subnetBits?: number }

export class NodeIpamController implements Controller {
  readonly name = 'nodeipam-controller';
  readonly queue = new WorkQueue();
  private readonly nodeInf;
  private readonly alloc: CidrAllocator;
  private readonly owner = new Map<string, string>(); // cidr → node that holds it
  private readonly events;
  private readonly log = logger('nodeipam-controller');

  constructor(private readonly client: ApiClient, informers: SharedInformers, opts: NodeIpamOptions = {}) {
    this.alloc = new CidrAllocator(opts.clusterCidr ?? '10.244.0.0/16', opts.subnetBits ?? 24);
    this.events = new EventRecorder(client, 'nodeipam-controller');
    this.nodeInf = informers.for<Node>(R.nodes);
    this.nodeInf.onChange((n) => this.queue.add(keyOf(n)));
  }

  /** Once the cache is full: occupy every CIDR a Node already has, then handle the rest. */
  enqueueAll(): void {
    for (const n of this.nodeInf.list()) for (const c of cidrsOf(n)) this.take(c, n.metadata!.name!);
    for (const n of this.nodeInf.list()) this.queue.add(keyOf(n));
  }

  private take(cidr: string, node: string): void {
    const holder = this.owner.get(cidr);
    if (holder === node) return;
    if (holder) { this.log.warn({ cidr, node, holder }, 'pod CIDR assigned to two nodes'); return; }
    if (this.alloc.occupy(cidr) || !this.alloc.isUsed(cidr)) this.owner.set(cidr, node);
  }

  async sync(key: string): Promise<void> {
    const node = this.nodeInf.get(key);
    if (!node) { // deleted: free what it held
      for (const [cidr, holder] of this.owner) if (holder === key) { this.owner.delete(cidr); this.alloc.release(cidr); }
      return;
    }
    const have = cidrsOf(node);
    if (have.length) { for (const c of have) this.take(c, key); return; }
    // A CIDR we already picked for this node whose patch the cache has not shown yet: reuse it.
    const pending = [...this.owner].find(([, holder]) => holder === key)?.[0];
    const cidr = pending ?? this.alloc.allocate();
    if (!cidr) {
      void this.events.event(node, 'Warning', 'CIDRNotAvailable', `Node ${key} status is now: CIDRNotAvailable`);
      throw new Error('pod CIDR range exhausted');
    }
    this.owner.set(cidr, key);
    try {
      await this.client.patch(R.nodes, key, undefined, { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      this.log.info({ node: key, cidr }, 'allocated pod CIDR');
    } catch (err) {
      this.owner.delete(cidr);
      this.alloc.release(cidr);
      if (!isNotFound(err)) throw err;
    }
  }
}

function cidrsOf(n: Node): string[] {
  const list = n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];
  return [...new Set(list)];
}

export async function startNodeIpamController(client: ApiClient, informers?: SharedInformers, opts: NodeIpamOptions = {}): Promise<Running> {
  const inf = informers ?? new SharedInformers(client);
  return runControllerLoop(new NodeIpamController(client, inf, opts), inf, !informers, 1);
}
