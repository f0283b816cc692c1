// Container lifecycle hooks (postStart, preStop): exec in the container through ExecSync,
// httpGet / tcpSocket against the pod, or sleep, run with the same code as probes.
import type { LifecycleHandler } from 'kubernetes-types/core/v1.js';
import { runProbe, type ProbeOutcome, type ProbeTarget } from '../prober/probe.js';

export async function runHandler(h: LifecycleHandler, t: ProbeTarget, timeoutSeconds: number): Promise<ProbeOutcome> {
  const secs = Math.max(1, Math.floor(timeoutSeconds));
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(h.sleep!.seconds, secs) * 1000));
    return { ok: true, output: '' };
  }
  return runProbe({ exec: h.exec, httpGet: h.httpGet, tcpSocket: h.tcpSocket, timeoutSeconds: secs }, t);
}
