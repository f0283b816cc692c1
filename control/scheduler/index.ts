// The scheduler's entry point: startScheduler(client, { schedulerName }). (Placeholder until the
// scheduler lands: logs and does nothing, so `tskube server` builds and starts.)
import { logger } from '../client/log.js';

export interface SchedulerOptions { schedulerName?: string }

export async function startScheduler(_client: unknown, _opts: SchedulerOptions = {}): Promise<{ stop(): void }> {
  logger('scheduler').warn('scheduler not implemented yet');
  return { stop() {} };
}
