// The scheduler's entry point (upstream kube-scheduler): startScheduler(client, { schedulerName }).
// Several can run side by side; each schedules only the pods whose spec.schedulerName names it.
import { ApiClient } from '../client/api-client.js';
import { SharedInformers } from '../controllers/informers.js';
import { Scheduler } from './scheduler.js';

export interface SchedulerOptions { schedulerName?: string }

export { Scheduler } from './scheduler.js';

export async function startScheduler(client: ApiClient, opts: SchedulerOptions = {}): Promise<{ stop(): void }> {
  const informers = new SharedInformers(client);
  const s = new Scheduler(client, informers, opts.schedulerName ?? 'default-scheduler');
  await s.start();
  return { stop() { s.stop(); informers.stop(); } };
}
