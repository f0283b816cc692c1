// Probe workers, one per (container instance, probe type), as upstream's prober manager: each
// runs its probe every periodSeconds after initialDelaySeconds and flips its result only after
// successThreshold / failureThreshold equal outcomes. Readiness feeds the Ready condition;
// startup gates the other two; a failed liveness or startup probe asks the pod worker to kill.
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../../control/client/log.js';
import { keyOf } from '../../../control/client/informer.js';
import type { RuntimeService } from '../../cri/runtime.js';
import type { EventRecorder } from '../events/recorder.js';
import { runProbe } from './probe.js';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
const TYPES: ProbeType[] = ['startup', 'liveness', 'readiness'];
const TITLE: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface RunningContainer { spec: Container; id: string; startedAtMs: number }

interface Worker {
  type: ProbeType;
  probe: Probe;
  pod: Pod;
  c: RunningContainer;
  podIP: string;
  timer?: NodeJS.Timeout;
  last?: boolean;
  count: number;
  /** Current result: undefined until decided (readiness false, liveness true meanwhile). */
  result?: boolean;
  busy: boolean;
  done: boolean;
}

export function probeOf(c: Container, t: ProbeType): Probe | undefined {
  return t === 'liveness' ? c.livenessProbe : t === 'readiness' ? c.readinessProbe : c.startupProbe;
}

export class ProberManager {
  /** Keyed `${containerId}/${type}`. */
  private workers = new Map<string, Worker>();

  constructor(private readonly cri: Pick<RuntimeService, 'execSync'>, private readonly events: EventRecorder,
    private readonly enqueue: (podKey: string) => void, private readonly log: Logger) {}

  /** Starts workers for the pod's running containers; stops those of containers no longer running. */
  sync(pod: Pod, running: RunningContainer[], podIP: string): void {
    const uid = pod.metadata!.uid!;
    const want = new Set<string>();
    for (const c of running) {
      for (const type of TYPES) {
        const probe = probeOf(c.spec, type);
        if (!probe) continue;
        const key = `${c.id}/${type}`;
        want.add(key);
        const w = this.workers.get(key);
        if (w) { w.pod = pod; w.podIP = podIP; continue; }
        const nw: Worker = { type, probe, pod, c, podIP, count: 0, busy: false, done: false };
        // After a kubelet restart, keep what the API already shows for this very container.
        const prev = [...(pod.status?.containerStatuses ?? [])].find((s) => s.containerID?.endsWith(`://${c.id}`));
        if (type === 'readiness' && prev?.ready) nw.result = true;
        if (type === 'startup' && prev?.started) { nw.result = true; this.workers.set(key, nw); continue; }
        this.workers.set(key, nw);
        this.schedule(nw, Math.max(0, c.startedAtMs + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now()));
      }
    }
    for (const [key, w] of this.workers) if (w.pod.metadata?.uid === uid && !want.has(key)) this.stopWorker(key, w);
  }

  removePod(uid: string): void {
    for (const [key, w] of this.workers) if (w.pod.metadata?.uid === uid) this.stopWorker(key, w);
  }

  stopAll(): void {
    for (const [key, w] of this.workers) this.stopWorker(key, w);
  }

  /** Startup probe passed (or none). A container with a startup probe whose worker is not running yet has not started. */
  started(containerId: string, spec?: Container): boolean {
    const w = this.workers.get(`${containerId}/startup`);
    return w ? w.result === true : !spec?.startupProbe;
  }

  /** Readiness as the Ready condition sees it: started, and the readiness probe passed (or none). */
  ready(containerId: string, spec: Container): boolean {
    if (!this.started(containerId, spec)) return false;
    if (!spec.readinessProbe) return true;
    return this.workers.get(`${containerId}/readiness`)?.result === true;
  }

  /** The probe that failed and wants the container killed, if any. */
  failed(containerId: string): ProbeType | undefined {
    for (const t of ['startup', 'liveness'] as const) if (this.workers.get(`${containerId}/${t}`)?.result === false) return t;
    return undefined;
  }

  get size(): number { return this.workers.size; }

  private stopWorker(key: string, w: Worker): void {
    w.done = true;
    if (w.timer) clearTimeout(w.timer);
    this.workers.delete(key);
  }

  private schedule(w: Worker, ms: number): void {
    if (w.done) return;
    w.timer = setTimeout(() => void this.tick(w), ms);
    w.timer.unref?.();
  }

  private async tick(w: Worker): Promise<void> {
    if (w.done || w.busy) return;
    const period = (w.probe.periodSeconds ?? 10) * 1000;
    // Liveness and readiness wait for the startup probe.
    if (w.type !== 'startup' && !this.started(w.c.id)) return this.schedule(w, period);
    w.busy = true;
    const out = await runProbe(w.probe, { podIP: w.podIP, containerId: w.c.id, container: w.c.spec, cri: this.cri });
    w.busy = false;
    if (w.done) return;
    w.count = w.last === out.ok ? w.count + 1 : 1;
    w.last = out.ok;
    if (!out.ok) {
      this.events.event(w.pod, 'Warning', 'Unhealthy', `${TITLE[w.type]} probe failed: ${out.output}`, `spec.containers{${w.c.spec.name}}`);
      this.log.debug({ pod: keyOf(w.pod), container: w.c.spec.name, probe: w.type, output: out.output }, 'probe failed');
    }
    const threshold = out.ok ? (w.probe.successThreshold ?? 1) : (w.probe.failureThreshold ?? 3);
    if (w.count >= threshold && w.result !== out.ok) {
      w.result = out.ok;
      this.enqueue(keyOf(w.pod));
    }
    // A passed startup probe is done; a failed liveness/startup probe holds until the container is replaced.
    if (w.type === 'startup' && w.result === true) return;
    if (w.type !== 'readiness' && w.result === false) return;
    this.schedule(w, period);
  }
}
