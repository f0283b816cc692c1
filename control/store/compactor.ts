// Compaction loop, as kube-apiserver's: every interval, compact the store to the revision it
// saw at the previous tick, so the last interval's history stays watchable and older revisions
// answer 410 Gone. Several API servers on one etcd may all run it; a repeat is a no-op.
import { Counter, register, type Metric } from '../metrics/prom.js';
import type { Backend } from './backend.js';
import { logger } from '../client/log.js';

const log = logger('compactor');
const compactions = (register.getSingleMetric('apiserver_storage_compactions_total') as Counter | undefined) ?? new Counter({
  name: 'apiserver_storage_compactions_total', help: 'Store compactions run by the compaction loop', labelNames: ['result'] }) as Metric as Counter;

/** Starts the loop; returns a stop function. intervalMs <= 0 disables it. */
export function startCompactor(backend: Backend, intervalMs: number): () => void {
  if (!(intervalMs > 0)) return () => {};
  let seen = 0;
  const tick = async () => {
    try {
      if (seen > backend.compactedRevision()) {
        await backend.compact(seen);
        compactions.inc({ result: 'ok' });
        log.info({ revision: seen }, 'compacted');
      }
      seen = await backend.currentRevision();
    } catch (err) {
      compactions.inc({ result: 'error' });
      log.warn({ err: (err as Error).message }, 'compaction failed; retrying next interval');
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}

/** "5m", "300s", "1h", "1500ms" or plain milliseconds → milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration ${s}: use e.g. 5m, 300s, 1500ms, 0 to disable`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 'ms') as 'ms'];
}
