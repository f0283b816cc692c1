// Writes pod status to the API through the status subresource (merge patch), only when it
// differs from what the API already has or from what this kubelet wrote last.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../../control/client/api-client.js';
import { isNotFound } from '../../../control/client/api-client.js';
import { R } from '../../../control/client/resources.js';

/** Stable JSON (sorted keys) so equal statuses compare equal whatever the key order. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x);
}

/** The parts of a status this kubelet owns, for comparison. */
function owned(s: PodStatus | undefined): unknown {
  if (!s) return undefined;
  const { phase, conditions, hostIP, podIP, podIPs, startTime, containerStatuses, initContainerStatuses, qosClass } = s;
  return { phase, conditions, hostIP, podIP, podIPs, startTime, containerStatuses, initContainerStatuses, qosClass };
}

export class StatusManager {
  private lastWritten = new Map<string, string>();

  constructor(private readonly client: ApiClient) {}

  /** Returns true if a write happened. */
  async setStatus(pod: Pod, status: PodStatus): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    const want = canonical(owned(status));
    if (want === canonical(owned(pod.status)) || want === this.lastWritten.get(uid)) return false;
    try {
      await this.client.patch(R.pods, pod.metadata!.name!, pod.metadata!.namespace, { status }, 'merge', 'status');
      this.lastWritten.set(uid, want);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false; // deleted meanwhile
      throw err;
    }
  }

  forget(uid: string): void {
    this.lastWritten.delete(uid);
  }
}
