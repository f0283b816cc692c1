// The start/stop plumbing every controller shares: start the informers, enqueue what the caches
// hold, run workers over the queue (runController), and stop them all again.
import { WorkQueue, runController } from '../../client/workqueue.js';
import { SharedInformers } from '../informers.js';

export interface Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  sync(key: string): Promise<void>;
  /** Enqueue every object the controller is responsible for (called once caches are full). */
  enqueueAll(): void;
  stop?(): void;
}

export interface Running { stop(): void }

/**
 * Runs a controller whose handlers are already registered on `informers`. If the informers
 * were made for this controller alone (`own`), stopping the controller stops them too.
 */
export async function runControllerLoop(c: Controller, informers: SharedInformers, own: boolean, workers = 1): Promise<Running> {
  await informers.start();
  c.enqueueAll();
  void runController(c.name, c.queue, (k) => c.sync(k), workers);
  return {
    stop() {
      c.queue.shutDown();
      c.stop?.();
      if (own) informers.stop();
    },
  };
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
