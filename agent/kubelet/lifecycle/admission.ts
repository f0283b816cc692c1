// Kubelet pod admission (upstream lifecycle/predicate.go): before a pod bound to this node first
// runs, its requests must fit into the node's allocatable minus what the pods already admitted
// here request. A pod that does not fit is rejected for good: phase Failed, reason OutOf<resource>,
// "Pod was rejected: Node didn't have enough resource: …", and a Warning Event, as upstream's rejectPod.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { podRequests, type Resources } from '../../../control/scheduler/node-info.js';
import type { KubeletConfig } from '../config.js';
import type { EventRecorder } from '../events/recorder.js';
import { machineInfo } from '../nodestatus/machine.js';
import { readFs } from '../stats/cgroups.js';

export interface AdmitResult { admit: boolean; reason?: string; message?: string; /** Rejected earlier; already reported. */ repeat?: boolean }

/** Resources checked first, in upstream's order (pods count, cpu, memory, ephemeral-storage), then the rest. */
const ORDER = ['pods', 'cpu', 'memory', 'ephemeral-storage'];

/** The node's allocatable as numbers (cpu in millicores, bytes, pod count); allocatable = capacity here. */
export function nodeAllocatable(cfg: KubeletConfig): Resources {
  const m = machineInfo();
  const out: Resources = new Map([['pods', cfg.maxPods], ['cpu', m.cpus * 1000], ['memory', Math.floor(m.memoryBytes / 1024) * 1024]]);
  const fs = readFs(cfg.rootDir);
  if (fs?.capacityBytes) out.set('ephemeral-storage', Math.floor(fs.capacityBytes / 1024) * 1024);
  return out;
}

/** Pure check: does `pod` fit beside `others` (the pods already admitted) into `allocatable`? First misfit wins. */
export function canAdmitPod(pod: Pod, others: Pod[], allocatable: Resources): AdmitResult {
  const want = new Map(podRequests(pod));
  want.set('pods', 1);
  const used: Resources = new Map([['pods', others.length]]);
  for (const o of others) for (const [k, v] of podRequests(o)) used.set(k, (used.get(k) ?? 0) + v);
  const names = [...ORDER, ...[...want.keys()].filter((k) => !ORDER.includes(k)).sort()];
  for (const name of names) {
    const req = want.get(name) ?? 0;
    // Unknown allocatable (e.g. ephemeral-storage unreadable) is not enforced, except for extended resources.
    if (req <= 0 || (!allocatable.has(name) && ORDER.includes(name))) continue;
    const cap = allocatable.get(name) ?? 0, u = used.get(name) ?? 0;
    if (req > cap - u) {
      return { admit: false, reason: `OutOf${name}`, message: `Node didn't have enough resource: ${name}, requested: ${req}, used: ${u}, capacity: ${cap}` };
    }
  }
  return { admit: true };
}

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** A pod this kubelet (or an earlier run of it) rejected: Failed before any container status. */
export function wasRejected(p: Pod): boolean {
  return p.status?.phase === 'Failed' && !!p.status.reason && !p.status.containerStatuses?.length;
}

/** Remembers admitted pods; `admit` is synchronous, so two pods never both take the last room. */
export class PodAdmission {
  private admitted = new Set<string>();
  private rejected = new Map<string, AdmitResult>();
  private readonly allocatable: Resources;

  constructor(cfg: KubeletConfig, allocatable?: Resources) {
    this.allocatable = allocatable ?? nodeAllocatable(cfg);
  }

  /** Admitted here, or already started by an earlier kubelet run (it wrote a start time). */
  private holds(p: Pod): boolean {
    return !terminal(p) && (this.admitted.has(p.metadata!.uid!) || !!p.status?.startTime);
  }

  admit(pod: Pod, podsOnNode: Pod[]): AdmitResult {
    const uid = pod.metadata!.uid!;
    const before = this.rejected.get(uid);
    if (before) return { ...before, repeat: true };
    if (this.holds(pod)) { this.admitted.add(uid); return { admit: true }; }
    const others = podsOnNode.filter((p) => p.metadata?.uid !== uid && this.holds(p));
    const r = canAdmitPod(pod, others, this.allocatable);
    if (r.admit) this.admitted.add(uid);
    else this.rejected.set(uid, r);
    return r;
  }

  forget(uid: string): void {
    this.admitted.delete(uid);
    this.rejected.delete(uid);
  }
}

/** Upstream's rejectPod: a Warning Event with the reason, and a Failed status that says why. */
export function rejectedStatus(pod: Pod, r: AdmitResult, events: EventRecorder): PodStatus {
  events.event(pod, 'Warning', r.reason!, r.message!);
  const scheduled = pod.status?.conditions?.filter((c) => c.type === 'PodScheduled');
  return { phase: 'Failed', reason: r.reason, message: `Pod was rejected: ${r.message}`, ...(scheduled?.length ? { conditions: scheduled } : {}) };
}
