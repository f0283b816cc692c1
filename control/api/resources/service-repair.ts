// The repair loop for Service cluster IPs and node ports, as kube-apiserver's RepairIP and
// RepairNodePort: every few minutes, compare the reservation keys with the Services. A key no
// Service holds (an API server died between reserving and storing) is freed once it has been
// seen leaked on three checks in a row at the same revision, so a create in flight never loses
// its value; a value a Service holds without its key is reserved again.
import { Counter, register, type Metric } from '../../metrics/prom.js';
import { StoreError } from '../../store/index.js';
import type { Obj } from '../resource-def.js';
import type { Store } from '../storage.js';
import { ensureMigrated, heldKeys, ipsPrefix, ownerOf, portsPrefix, reserve } from './service-allocator.js';
import { logger } from '../../client/log.js';

const log = logger('service-repair');
const repairs = (register.getSingleMetric('apiserver_service_allocation_repairs_total') as Counter | undefined) ?? new Counter({
  name: 'apiserver_service_allocation_repairs_total', help: 'Cluster IPs and node ports the repair loop freed (leaked) or reserved again (missing)',
  labelNames: ['result'] }) as Metric as Counter;

/** Upstream's numRepairsBeforeLeakCleanup. */
export const checksBeforeRelease = 3;
const services = { resource: 'services', namespaced: true };

export interface RepairResult { released: string[]; reserved: string[]; suspected: string[] }

export class ServiceAllocationRepair {
  /** Keys seen with no Service holding them: the revision seen and on how many checks in a row. */
  private readonly leaks = new Map<string, { revision: number; checks: number }>();

  constructor(private readonly store: Store) {}

  async runOnce(): Promise<RepairResult> {
    await ensureMigrated(this.store);
    const result: RepairResult = { released: [], reserved: [], suspected: [] };
    // Reservations before Services: a create in flight has its key in the first list and its
    // Service in neither, which makes a suspect, never a release on this check.
    const kvs = [...(await this.store.backend.list(ipsPrefix)).kvs, ...(await this.store.backend.list(portsPrefix)).kvs];
    const { items } = await this.store.list(services);
    const holders = new Map<string, Obj>();
    for (const svc of items) for (const key of heldKeys(svc)) holders.set(key, svc);

    const seen = new Set<string>();
    for (const kv of kvs) {
      seen.add(kv.key);
      const uid = ownerUid(kv.value);
      const holder = holders.get(kv.key);
      if (holder && holder.metadata.uid === uid) { this.leaks.delete(kv.key); continue; }
      const prev = this.leaks.get(kv.key);
      const checks = prev?.revision === kv.modRevision ? prev.checks + 1 : 1;
      if (checks < checksBeforeRelease) {
        this.leaks.set(kv.key, { revision: kv.modRevision, checks });
        result.suspected.push(kv.key);
        continue;
      }
      this.leaks.delete(kv.key);
      try {
        await this.store.backend.delete(kv.key, kv.modRevision); // only if nobody took it since
        result.released.push(kv.key);
        repairs.inc({ result: 'released' });
        log.warn({ key: kv.key, owner: kv.value }, 'freed a value no Service holds');
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
      }
    }
    for (const key of this.leaks.keys()) if (!seen.has(key)) this.leaks.delete(key);

    for (const [key, svc] of holders) {
      if (seen.has(key) || !(await this.stillHolds(svc, key))) continue;
      const other = await reserve(this.store.backend, key, ownerOf(svc));
      if (other) log.warn({ key, service: `${svc.metadata.namespace}/${svc.metadata.name}`, holder: other }, 'value held by two Services');
      else { result.reserved.push(key); repairs.inc({ result: 'reserved' }); log.warn({ key, service: `${svc.metadata.namespace}/${svc.metadata.name}` }, 'reserved a value a Service held without its key'); }
    }
    return result;
  }

  /** Read again right before reserving: a Service deleted since the list must not leak its value. */
  private async stillHolds(svc: Obj, key: string): Promise<boolean> {
    const cur = await this.store.get(services, svc.metadata.namespace, svc.metadata.name);
    return !!cur && cur.metadata.uid === svc.metadata.uid && heldKeys(cur).includes(key);
  }
}

function ownerUid(value: string): string | undefined {
  try { return (JSON.parse(value) as { uid?: string }).uid; } catch { return undefined; }
}

/** Runs the repair now and every intervalMs (upstream: 3 minutes); returns a stop function. */
export function startServiceAllocationRepair(store: Store, intervalMs: number): () => void {
  if (!(intervalMs > 0)) return () => {};
  const repair = new ServiceAllocationRepair(store);
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try { await repair.runOnce(); } catch (err) { log.warn({ err: (err as Error).message }, 'service allocation repair failed; retrying next interval'); } finally { running = false; }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
