// PLEG (pod lifecycle event generator), relisting flavour: every second, list the runtime's
// sandboxes and containers, and enqueue every pod whose runtime state changed since the last
// relist, plus runtime pods no API pod owns any more (so the pod workers tear them down).
import type { CriRuntime } from '../../cri/runtime.js';
import type { Logger } from '../../../control/client/log.js';
import { podRefOf, type PodRef } from '../kuberuntime/labels.js';
import type { KubeletMetrics } from '../metrics.js';

export interface PlegDeps {
  cri: CriRuntime;
  /** Is there an API pod with this uid on this node? */
  knownUid(uid: string): boolean;
  enqueue(key: string): void;
  metrics: KubeletMetrics;
  log: Logger;
}

export class Pleg {
  private last = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private relists = 0;

  constructor(private readonly d: PlegDeps, private readonly periodMs = 1000) {}

  start(): void {
    this.timer = setInterval(() => void this.relist(), this.periodMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One relist; exported for tests. Returns the keys it enqueued. */
  async relist(): Promise<string[]> {
    if (this.running) return [];
    this.running = true;
    const end = this.d.metrics.plegRelistDuration.startTimer();
    try {
      const [sandboxes, containers] = await Promise.all([this.d.cri.listPodSandbox(), this.d.cri.listContainers()]);
      const pods = new Map<string, { ref: PodRef; parts: string[] }>();
      const add = (labels: Record<string, string>, part: string) => {
        const ref = podRefOf(labels);
        if (!ref) return;
        const p = pods.get(ref.uid) ?? { ref, parts: [] };
        p.parts.push(part);
        pods.set(ref.uid, p);
      };
      for (const s of sandboxes) add(s.labels, `s:${s.id}:${s.state}`);
      const states: Record<string, number> = {};
      for (const c of containers) {
        add(c.labels, `c:${c.id}:${c.state}`);
        states[c.state] = (states[c.state] ?? 0) + 1;
      }
      this.d.metrics.runningPods.set(sandboxes.filter((s) => s.state === 'SANDBOX_READY').length);
      for (const st of ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN']) {
        this.d.metrics.runningContainers.set({ container_state: st.replace('CONTAINER_', '').toLowerCase() }, states[st] ?? 0);
      }
      const periodic = this.relists++ % 10 === 0;
      const enqueued: string[] = [];
      const next = new Map<string, string>();
      for (const [uid, p] of pods) {
        const sig = p.parts.sort().join(',');
        next.set(uid, sig);
        // Orphans are looked for every 10th relist only; a changed pod is enqueued at once.
        if (this.last.get(uid) !== sig || (periodic && !this.d.knownUid(uid))) {
          const key = `${p.ref.namespace}/${p.ref.name}`;
          this.d.enqueue(key);
          enqueued.push(key);
        }
      }
      this.last = next;
      return enqueued;
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'PLEG relist failed');
      return [];
    } finally {
      end();
      this.running = false;
    }
  }
}
