// DaemonSet controller (upstream daemon): one pod per eligible node — nodes that join get one,
// nodes that leave or stop qualifying lose theirs — created pinned to the node by node affinity
// and bound by the scheduler. RollingUpdate replaces old pods node by node within maxUnavailable.
// Each template is kept as a ControllerRevision (kubectl rollout history / undo daemonset).
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, isNotFound, type KubeObject } from '../../client/api-client.js';
import { keyOf } from '../../client/informer.js';
import { R } from '../../client/resources.js';
import { WorkQueue } from '../../client/workqueue.js';
import { EventRecorder } from '../events.js';
import { SharedInformers } from '../informers.js';
import { controllerRef } from '../util/owners.js';
import { isPodAvailable, isPodReady } from '../util/pods.js';
import { W } from '../util/resources.js';
import { errMessage, type Controller } from '../util/run.js';
import { Expectations } from '../replicaset/expectations.js';
import { resolveIntOrPercent } from '../deployment/rollout.js';
import { ControllerHistory } from '../history/controller-history.js';
import { daemonPodNode, dsRevision, newDaemonPod, nodeShouldRunDaemonPod, REVISION_LABEL } from './daemon-pods.js';

type DS = DaemonSet & KubeObject;

export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  readonly queue = new WorkQueue();
  private readonly expectations = new Expectations();
  private readonly dsInf;
  private readonly podInf;
  private readonly nodeInf;
  private readonly events;
  private readonly history;

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.events = new EventRecorder(client, 'daemonset-controller');
    this.history = new ControllerHistory(client, informers);
    this.dsInf = informers.for<DaemonSet>(W.daemonsets);
    this.podInf = informers.for<Pod>(R.pods);
    this.nodeInf = informers.for<Node>(R.nodes);
    this.dsInf.onChange((ds) => this.queue.add(keyOf(ds)));
    this.podInf.onAdd((p) => this.podEvent(p, 'add'));
    this.podInf.onUpdate((o, p) => { if (o.metadata?.resourceVersion !== p.metadata?.resourceVersion) this.podEvent(p, 'update'); });
    this.podInf.onDelete((p) => this.podEvent(p, 'delete'));
    const all = () => this.enqueueAll();
    this.nodeInf.onAdd(all);
    this.nodeInf.onDelete(all);
    this.nodeInf.onUpdate((o, n) => {
      const j = JSON.stringify;
      if (j(o.metadata?.labels) !== j(n.metadata?.labels) || j(o.spec?.taints) !== j(n.spec?.taints)) all();
    });
  }

  enqueueAll(): void { for (const ds of this.dsInf.list()) this.queue.add(keyOf(ds)); }

  private podEvent(p: Pod, what: 'add' | 'update' | 'delete'): void {
    const ref = controllerRef(p as KubeObject);
    if (ref?.kind !== 'DaemonSet') return;
    const key = `${p.metadata?.namespace}/${ref.name}`;
    if (what === 'add') this.expectations.creationObserved(key);
    if (what === 'delete' || (what === 'update' && p.metadata?.deletionTimestamp)) this.expectations.deletionObserved(key, keyOf(p as KubeObject));
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const ds = this.dsInf.get(key);
    if (!ds) { this.expectations.delete(key); return; }
    if (ds.metadata?.deletionTimestamp) return;
    const uid = ds.metadata?.uid;
    const hash = dsRevision(ds);
    const mine = this.podInf.list().filter((p) => controllerRef(p as KubeObject)?.uid === uid && p.metadata?.namespace === ds.metadata?.namespace);
    const live = mine.filter((p) => !p.metadata?.deletionTimestamp);
    await this.history.sync(ds, 'apps/v1', 'DaemonSet', hash, new Set(live.map((p) => p.metadata?.labels?.[REVISION_LABEL] ?? '')));
    const byNode = new Map<string, Pod[]>();
    for (const p of live) {
      const n = daemonPodNode(p) ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const nodes = this.nodeInf.list();
    const create: string[] = [];
    const remove: Pod[] = [];
    const status: Required<Pick<DaemonSetStatus, 'desiredNumberScheduled' | 'currentNumberScheduled' | 'numberMisscheduled' | 'numberReady' | 'updatedNumberScheduled' | 'numberAvailable'>> =
      { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0 };
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const oldPods: Pod[] = [];
    let unavailable = 0;
    for (const node of nodes) {
      const name = node.metadata!.name!;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(ds, node);
      const here = byNode.get(name) ?? [];
      byNode.delete(name);
      const failed = here.filter((p) => p.status?.phase === 'Failed');
      remove.push(...failed); // a failed daemon pod is replaced
      const running = here.filter((p) => p.status?.phase !== 'Failed')
        .sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''));
      if (shouldRun) status.desiredNumberScheduled++;
      if (!shouldContinueRunning) { remove.push(...running); if (running.length) status.numberMisscheduled++; continue; }
      if (!shouldRun && !running.length) continue;
      if (running.length === 0) { create.push(name); unavailable++; continue; }
      remove.push(...running.slice(1)); // one per node: keep the oldest
      const pod = running[0]!;
      status.currentNumberScheduled++;
      if (isPodReady(pod)) status.numberReady++;
      const available = isPodAvailable(pod, minReady);
      if (available) status.numberAvailable++; else unavailable++;
      if (pod.metadata?.labels?.[REVISION_LABEL] === hash) status.updatedNumberScheduled++;
      else oldPods.push(pod);
    }
    for (const pods of byNode.values()) remove.push(...pods); // their node is gone
    remove.push(...this.rollingUpdateVictims(ds, oldPods, unavailable, minReady));

    if (this.expectations.satisfied(key)) await this.manage(key, ds, create, remove, hash);
    await this.writeStatus(ds, { ...status, numberUnavailable: Math.max(0, status.desiredNumberScheduled - status.numberAvailable) });
  }

  /** upstream rollingUpdate: old unavailable pods go at once, old available ones within maxUnavailable. */
  private rollingUpdateVictims(ds: DS, old: Pod[], unavailable: number, minReady: number): Pod[] {
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate' || !old.length) return [];
    const desired = this.nodeInf.list().length;
    const max = Math.max(1, resolveIntOrPercent(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, desired, true, '1'));
    const out = old.filter((p) => !isPodAvailable(p, minReady));
    let budget = max - unavailable;
    for (const p of old) if (isPodAvailable(p, minReady) && budget-- > 0) out.push(p);
    return out;
  }

  private async manage(key: string, ds: DS, create: string[], remove: Pod[], hash: string): Promise<void> {
    if (create.length) this.expectations.expectCreations(key, create.length);
    else if (remove.length) this.expectations.expectDeletions(key, remove.map((p) => keyOf(p as KubeObject)));
    const errors: string[] = [];
    await Promise.all(create.map(async (node) => {
      const pod = newDaemonPod(ds, node, hash);
      try {
        await this.client.create(R.pods, pod as Pod & KubeObject);
        void this.events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata!.name}`);
      } catch (err) {
        this.expectations.creationFailed(key);
        errors.push(errMessage(err));
        void this.events.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errMessage(err)}`);
      }
    }));
    if (create.length) return; // deletions next round, once creations are observed
    await Promise.all(remove.map(async (p) => {
      try {
        await this.client.delete(R.pods, p.metadata!.name!, p.metadata!.namespace, { uid: p.metadata?.uid as string | undefined });
        void this.events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
      } catch (err) {
        this.expectations.deletionObserved(key, keyOf(p as KubeObject));
        if (!isNotFound(err)) errors.push(errMessage(err));
      }
    }));
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async writeStatus(ds: DS, s: DaemonSetStatus): Promise<void> {
    const status: DaemonSetStatus = { ...s, observedGeneration: ds.metadata?.generation ?? 0 };
    const cur = ds.status ?? ({} as DaemonSetStatus);
    const same = (Object.keys(status) as Array<keyof DaemonSetStatus>).every((k) => (cur[k] ?? 0) === (status[k] ?? 0));
    if (same) return;
    try {
      await this.client.patch(W.daemonsets, ds.metadata!.name!, ds.metadata!.namespace, { status }, 'merge', 'status');
    } catch (err) { if (!isNotFound(err)) throw err; }
  }
}
