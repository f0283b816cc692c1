// Structured logging shared by every component: pino JSON lines with a `component` field.
// TSKUBE_LOG_LEVEL sets the level (default info); TSKUBE_DEBUG=kubelet,proxy turns one on.
import { pino, type Logger } from 'pino';

const debug = new Set((process.env.TSKUBE_DEBUG ?? '').split(',').filter(Boolean));
const root = pino({ level: process.env.TSKUBE_LOG_LEVEL ?? 'info', base: { pid: process.pid } });

export type { Logger };

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  const child = root.child({ component, ...bindings });
  if (debug.has(component)) child.level = 'debug';
  return child;
}
