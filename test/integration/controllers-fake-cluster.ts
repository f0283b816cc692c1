// Test helper: fake nodes (no kubelet, no containers) on a real `tskube server`, and a tiny
// fake kubelet that does what a kubelet's status would: bound pods turn Running+Ready (or
// Succeeded/Failed when they carry the `fake.tskube.io/exit` annotation; never Ready with
// `fake.tskube.io/never-ready`), deletions finish, and each live node renews its Lease.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, type KubeObject } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';

type K<T> = T & KubeObject;

export interface FakeNodeSpec { name: string; labels?: Record<string, string>; taints?: Node['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never; cpu?: string; memory?: string }

export async function registerNode(client: ApiClient, n: FakeNodeSpec, index = 0): Promise<void> {
  const labels = { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', ...(n.labels ?? {}) };
  await client.create<K<Node>>(R.nodes, { metadata: { name: n.name, labels }, spec: { taints: n.taints ?? [] } });
  const res = { cpu: n.cpu ?? '2', memory: n.memory ?? '4Gi', pods: '110' };
  const now = new Date().toISOString();
  await client.patch(R.nodes, n.name, undefined, { status: {
    capacity: res, allocatable: res,
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
    addresses: [{ type: 'InternalIP', address: `192.168.56.${11 + index}` }],
  } }, 'merge', 'status');
}

export const EXIT_ANNOTATION = 'fake.tskube.io/exit';
/** A pod carrying this annotation runs but never turns Ready (a stuck rollout). */
export const NEVER_READY_ANNOTATION = 'fake.tskube.io/never-ready';

/** What the fake kubelet does with a pod on a live node: its next phase, if it should change. */
function nextPhase(p: Pod): 'Running' | 'Succeeded' | 'Failed' | undefined {
  const exit = p.metadata?.annotations?.[EXIT_ANNOTATION];
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  if (exit !== undefined) return phase === 'Running' ? (exit === '0' ? 'Succeeded' : 'Failed') : 'Running';
  return phase === 'Running' ? undefined : 'Running';
}

export class FakeKubelet {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private ip = 10;
  readonly dead = new Set<string>();

  constructor(private readonly client: ApiClient, readonly nodes: string[], private readonly everyMs = 200) {}

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    return this;
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  /** The node's kubelet comes back: heartbeats resume and it posts Ready=True again. */
  async revive(node: string): Promise<void> {
    this.dead.delete(node);
    const now = new Date().toISOString();
    await this.client.patch(R.nodes, node, undefined, { status: { conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] } }, 'strategic', 'status');
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const p of (await this.client.list<K<Pod>>(R.pods)).items) {
        const node = p.spec?.nodeName;
        if (!node || this.dead.has(node) || !this.nodes.includes(node)) continue;
        const ns = p.metadata!.namespace!;
        if (p.metadata?.deletionTimestamp) {
          await this.client.delete(R.pods, p.metadata.name!, ns, { gracePeriodSeconds: 0 }).catch(() => {});
          continue;
        }
        const phase = nextPhase(p);
        if (!phase) continue;
        const now = new Date().toISOString();
        const ready = phase === 'Running' && p.metadata?.annotations?.[NEVER_READY_ANNOTATION] === undefined ? 'True' : 'False';
        await this.client.updateStatus(R.pods, { ...p, status: {
          ...p.status, phase, hostIP: '192.168.56.11', podIP: p.status?.podIP ?? `10.244.${this.nodes.indexOf(node)}.${this.ip++ % 250}`, startTime: p.status?.startTime ?? now,
          conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Initialized', status: 'True' },
            { type: 'ContainersReady', status: ready, lastTransitionTime: now }, { type: 'Ready', status: ready, lastTransitionTime: now }],
        } }).catch(() => {});
      }
      for (const name of this.nodes) {
        if (this.dead.has(name)) continue;
        const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') };
        await this.client.create(R.leases, { metadata: { name, namespace: 'kube-node-lease' }, spec } as KubeObject).catch(async () => {
          const cur = await this.client.get<KubeObject>(R.leases, name, 'kube-node-lease');
          await this.client.update(R.leases, { ...cur, spec } as KubeObject).catch(() => {});
        });
      }
    } catch { /* the next tick retries */ } finally { this.busy = false; }
  }
}
