// Container log rotation, as upstream's ContainerLogManager: every 10 s, a running container's
// log over containerLogMaxSize is renamed to <log>.<YYYYMMDD-hhmmss> and the runtime reopens its
// log (CRI ReopenContainerLog); rotated files but the newest are gzipped, and at most
// containerLogMaxFiles files are kept, the live one included. Docker rotates its own json-file
// logs (max-size/max-file in daemon.json), so the kubelet does not run this on Docker nodes.
import { createReadStream, createWriteStream, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import type { CriRuntime } from '../../cri/runtime.js';
import type { Logger } from '../../../control/client/log.js';
import { everyWithoutOverlap } from '../util/time.js';

export interface LogRotation { maxSize: number; maxFiles: number }

const stamp = (d = new Date()) => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15); // 20261206-091500

export class ContainerLogManager {
  constructor(private readonly cri: Pick<CriRuntime, 'listContainers' | 'containerStatus' | 'reopenContainerLog'>,
    private readonly opts: LogRotation, private readonly log: Logger) {}

  /** Checks every running container every `everyMs`; returns a stop function. */
  start(everyMs = 10_000): () => void {
    return everyWithoutOverlap(everyMs, () => this.rotateAll());
  }

  async rotateAll(): Promise<void> {
    let running;
    try { running = await this.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } }); } catch { return; }
    for (const c of running) {
      await this.rotate(c.id).catch((err: Error) => this.log.warn({ container: c.id, err: err.message }, 'container log rotation failed'));
    }
  }

  /** Rotates one container's log if it is over the size; answers whether it did. */
  async rotate(id: string): Promise<boolean> {
    const path = (await this.cri.containerStatus(id)).status?.log_path;
    if (!path) return false;
    let size: number;
    try { size = statSync(path).size; } catch { return false; }
    if (size < this.opts.maxSize) return false;
    const rotated = `${path}.${stamp()}`;
    renameSync(path, rotated);
    try {
      await this.cri.reopenContainerLog(id);
    } catch (err) {
      renameSync(rotated, path); // as upstream: the runtime still writes there
      throw err;
    }
    await this.cleanUp(path); // also finishes what a restart interrupted at the previous rotation
    return true;
  }

  /** Drops the oldest rotated files beyond maxFiles - 1 and gzips all but the newest. */
  private async cleanUp(path: string): Promise<void> {
    const dir = dirname(path), base = `${basename(path)}.`;
    const rotated = readdirSync(dir).filter((f) => f.startsWith(base) && !f.endsWith('.tmp')).sort();
    while (rotated.length > Math.max(0, this.opts.maxFiles - 1)) unlinkSync(join(dir, rotated.shift()!));
    for (const f of rotated.slice(0, -1)) {
      if (f.endsWith('.gz')) continue;
      const from = join(dir, f), tmp = `${from}.gz.tmp`;
      await pipeline(createReadStream(from), createGzip(), createWriteStream(tmp));
      renameSync(tmp, `${from}.gz`);
      unlinkSync(from);
    }
  }
}

