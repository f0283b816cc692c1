// NodeInfo (upstream framework.NodeInfo): a node plus the pods bound or assumed to it, with
// the resources they request summed, which filter and score plugins read.
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.js';
import { intValue, milliCpu } from '../client/quantity.js';

/** Resources as numbers: cpu in millicores, memory in bytes, anything else as an integer. */
export type Resources = Map<string, number>;

const DEFAULT_CPU_MILLI = 100;            // upstream DefaultMilliCPURequest (scoring only)
const DEFAULT_MEMORY = 200 * 1024 * 1024; // upstream DefaultMemoryRequest (scoring only)
const DEFAULT_MAX_PODS = 110;

const toNumber = (name: string, q: string | number) => (name === 'cpu' ? milliCpu(q) : intValue(q));

function containerRequests(c: Container): Resources {
  const out: Resources = new Map();
  // An unset request defaults to the limit (API defaulting); read both in case it was not applied.
  for (const src of [c.resources?.limits, c.resources?.requests]) {
    for (const [k, v] of Object.entries(src ?? {})) out.set(k, toNumber(k, v));
  }
  return out;
}

/**
 * What a pod asks for (upstream computePodResourceRequest): the sum over containers, at least
 * the largest init container (they run one at a time), plus pod overhead.
 */
const requestsCache = new WeakMap<Pod, Resources>();
const nonZeroCache = new WeakMap<Pod, { cpu: number; memory: number }>();

export function podRequests(pod: Pod): Resources {
  let cached = requestsCache.get(pod); // pods from the informer are immutable snapshots
  if (!cached) requestsCache.set(pod, (cached = computePodRequests(pod)));
  return cached;
}

function computePodRequests(pod: Pod): Resources {
  const sum: Resources = new Map();
  for (const c of pod.spec?.containers ?? []) for (const [k, v] of containerRequests(c)) sum.set(k, (sum.get(k) ?? 0) + v);
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [k, v] of containerRequests(c)) if (v > (sum.get(k) ?? 0)) sum.set(k, v);
  }
  for (const [k, v] of Object.entries(pod.spec?.overhead ?? {})) sum.set(k, (sum.get(k) ?? 0) + toNumber(k, v));
  return sum;
}

/** Requests with upstream's non-zero defaults for containers that ask for nothing (used to score). */
export function podNonZeroRequests(pod: Pod): { cpu: number; memory: number } {
  let cached = nonZeroCache.get(pod);
  if (!cached) nonZeroCache.set(pod, (cached = computeNonZero(pod)));
  return cached;
}

function computeNonZero(pod: Pod): { cpu: number; memory: number } {
  let cpu = 0, memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = containerRequests(c);
    cpu += r.has('cpu') ? r.get('cpu')! : DEFAULT_CPU_MILLI;
    memory += r.has('memory') ? r.get('memory')! : DEFAULT_MEMORY;
  }
  return { cpu, memory };
}

export function hostPorts(pod: Pod): string[] {
  const out: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
  }
  return out;
}

/** The controller owner's uid: what the Spreading score groups replicas by. */
const owners = new WeakMap<Pod, string | null>();
export function ownerUid(p: Pod): string | undefined {
  let o = owners.get(p);
  if (o === undefined) owners.set(p, (o = p.metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? null));
  return o ?? undefined;
}

/** True when the pod carries pod affinity or anti-affinity terms (kept apart so checks stay cheap). */
export function hasPodAffinity(p: Pod): boolean {
  const a = p.spec?.affinity;
  return !!(a?.podAffinity || a?.podAntiAffinity);
}

export class NodeInfo {
  readonly pods = new Map<string, Pod>();
  /** Pods per controller owner uid (Spreading reads this instead of walking every pod). */
  readonly ownerCounts = new Map<string, number>();
  /** Pods with pod (anti-)affinity terms (InterPodAffinity checks their terms against newcomers). */
  readonly podsWithAffinity = new Map<string, Pod>();
  readonly requested: Resources = new Map();
  nonZero = { cpu: 0, memory: 0 };
  readonly usedPorts = new Map<string, number>();
  private _node?: Node;
  private _allocatable?: Resources;

  constructor(node?: Node) { this._node = node; }

  get node(): Node | undefined { return this._node; }
  set node(n: Node | undefined) { this._node = n; this._allocatable = undefined; }

  get name(): string { return this._node?.metadata?.name ?? ''; }

  /** Allocatable as numbers, parsed once per node update. */
  allocatable(): Resources {
    if (this._allocatable) return this._allocatable;
    const src = this._node?.status?.allocatable ?? this._node?.status?.capacity ?? {};
    const out: Resources = new Map();
    for (const [k, v] of Object.entries(src)) out.set(k, toNumber(k, v));
    if (!out.has('pods')) out.set('pods', DEFAULT_MAX_PODS);
    return (this._allocatable = out);
  }

  addPod(key: string, pod: Pod): void {
    if (this.pods.has(key)) this.removePod(key);
    this.pods.set(key, pod);
    if (hasPodAffinity(pod)) this.podsWithAffinity.set(key, pod);
    this.account(pod, 1);
  }

  removePod(key: string): void {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.pods.delete(key);
    this.podsWithAffinity.delete(key);
    this.account(pod, -1);
  }

  private account(pod: Pod, sign: 1 | -1): void {
    const owner = ownerUid(pod);
    if (owner) {
      const n = (this.ownerCounts.get(owner) ?? 0) + sign;
      if (n > 0) this.ownerCounts.set(owner, n); else this.ownerCounts.delete(owner);
    }
    for (const [k, v] of podRequests(pod)) this.requested.set(k, (this.requested.get(k) ?? 0) + sign * v);
    const nz = podNonZeroRequests(pod);
    this.nonZero = { cpu: this.nonZero.cpu + sign * nz.cpu, memory: this.nonZero.memory + sign * nz.memory };
    for (const p of hostPorts(pod)) {
      const n = (this.usedPorts.get(p) ?? 0) + sign;
      if (n > 0) this.usedPorts.set(p, n); else this.usedPorts.delete(p);
    }
  }
}
