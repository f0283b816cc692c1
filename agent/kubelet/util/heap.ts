// Gives back the heap a burst of pod work grew. V8 lets objects promoted out of the young
// generation pile up until the old generation reaches live size plus several MiB; for an agent
// whose live heap is ~12 MiB, 30 pods starting at once grow it by half before a full collection
// runs. After pods start or stop, one full collection at most every second, and one every 10 s
// otherwise, keep it near the live size (a few ms each: ~0.05% of a core when idle). Needs
// `node --expose-gc` (the lab and Vagrant pass it); without it this does nothing
// (docs/agent-memory.md).
const gc = (globalThis as { gc?: () => void }).gc;
let last = 0;
let pending: NodeJS.Timeout | undefined;

/** Schedules a full collection, at most one per `minIntervalMs`. */
export function reclaimHeapSoon(minIntervalMs = 1000): void {
  if (!gc || pending) return;
  pending = setTimeout(() => {
    pending = undefined;
    last = Date.now();
    gc();
  }, Math.max(0, last + minIntervalMs - Date.now()));
  pending.unref();
}

/** A full collection every `everyMs` (after the periodic PLEG relists and resyncs); returns a stop function. */
export function reclaimHeapPeriodically(everyMs = 10_000): () => void {
  if (!gc) return () => {};
  const t = setInterval(() => { if (Date.now() - last >= everyMs / 2) { last = Date.now(); gc(); } }, everyMs);
  t.unref();
  return () => clearInterval(t);
}
