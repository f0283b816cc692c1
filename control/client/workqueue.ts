// The work queue every loop shares (controllers, scheduler, kube-proxy, kubelet pod workers):
// de-duplicating, a key is never processed by two workers at once, per-key exponential
// back-off for failures. runController is upstream's processNextWorkItem loop.
import { logger } from './log.js';

export class WorkQueue {
  private queue: string[] = [];
  private queued = new Set<string>();
  private processing = new Set<string>();
  private dirty = new Set<string>(); // re-added while processing
  private failures = new Map<string, number>();
  private timers = new Set<NodeJS.Timeout>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private closed = false;

  constructor(private readonly baseDelayMs = 5, private readonly maxDelayMs = 30_000) {}

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) { this.dirty.add(key); return; }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) { this.processing.add(key); waiter(key); return; }
    this.queued.add(key);
    this.queue.push(key);
  }

  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) return this.add(key);
    const t = setTimeout(() => { this.timers.delete(t); this.add(key); }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  /** Re-queue after a failure, waiting base·2^n (capped). */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs));
  }

  numRequeues(key: string): number { return this.failures.get(key) ?? 0; }
  forget(key: string): void { this.failures.delete(key); }
  len(): number { return this.queue.length; }

  /** Next key to process, or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}

/** get → reconcile(key) → forget, or requeue rate-limited on error → done. */
export function runController(name: string, queue: WorkQueue, reconcile: (key: string) => Promise<void>, workers = 1): Promise<void> {
  const log = logger(name);
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await reconcile(key);
        queue.forget(key);
      } catch (err) {
        log.warn({ key, err: (err as Error).message, retries: queue.numRequeues(key) }, 'reconcile failed; requeued');
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  return Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
}
