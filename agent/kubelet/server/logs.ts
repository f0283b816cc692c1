// /containerLogs/{ns}/{pod}/{container}: a container's output from the runtime's CRI log file
// ("<RFC3339Nano> <stdout|stderr> <F|P> <text>" per line, P = partial line continued; or docker's
// json-file lines behind dockershim's symlink), with
// upstream's options: tailLines, sinceSeconds/sinceTime, timestamps, limitBytes, previous, and
// follow (keeps reading what is appended until the container exits or the client leaves).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  sinceMs?: number;
  timestamps: boolean;
  limitBytes?: number;
}

export function logOptions(q: URLSearchParams, now = Date.now()): LogOptions {
  const num = (k: string) => { const v = q.get(k); if (v === null || v === '') return undefined; const n = Number(v); if (!Number.isFinite(n) || n < 0) throw new Error(`invalid ${k} ${JSON.stringify(v)}`); return n; };
  const since = num('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  return {
    follow: bool('follow'),
    tailLines: num('tailLines'),
    sinceMs: since !== undefined ? now - since * 1000 : sinceTime ? Date.parse(sinceTime) : undefined,
    timestamps: bool('timestamps'),
    limitBytes: num('limitBytes'),
  };
}

interface Parsed { ts: string; ms: number; text: string }

/** One docker json-file record: {"log":"text\n","stream":"stdout","time":"<RFC3339Nano>"}. */
interface DockerRecord { log?: unknown; stream?: unknown; time?: unknown }

/** Turns runtime log lines into whole output lines: CRI lines (containerd), joining partial (P)
 * records, and docker's json-file lines (dockershim links them at the CRI log path), where a
 * record whose text lacks the final newline is a partial one, as upstream's kuberuntime/logs reads both. */
export class CriLogParser {
  private partial = '';
  private rest = '';
  push(chunk: string): Parsed[] {
    const data = this.rest + chunk;
    const lines = data.split('\n');
    this.rest = lines.pop()!;
    const out: Parsed[] = [];
    for (const l of lines) {
      if (l.startsWith('{')) { this.docker(l, out); continue; }
      const m = /^(\S+) (stdout|stderr) (F|P) ?(.*)$/.exec(l);
      if (!m) continue;
      if (m[3] === 'P') { this.partial += m[4]; continue; }
      const ts = m[1]!;
      out.push({ ts, ms: Date.parse(ts), text: this.partial + m[4] + '\n' });
      this.partial = '';
    }
    return out;
  }

  private docker(line: string, out: Parsed[]): void {
    let r: DockerRecord;
    try { r = JSON.parse(line) as DockerRecord; } catch { return; }
    if (typeof r.log !== 'string' || typeof r.time !== 'string') return;
    if (!r.log.endsWith('\n')) { this.partial += r.log; return; }
    out.push({ ts: r.time, ms: Date.parse(r.time), text: this.partial + r.log });
    this.partial = '';
  }
}

const format = (p: Parsed, o: LogOptions) => (o.timestamps ? `${p.ts} ${p.text}` : p.text);

/** Streams a log file to res; `running` tells follow mode when to stop. */
export async function serveLogs(path: string, o: LogOptions, res: ServerResponse, running: () => Promise<boolean>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { res.end(); return; }
  let sent = 0;
  let closed = false;
  res.on('close', () => { closed = true; });
  const write = (s: string): boolean => {
    if (o.limitBytes !== undefined) {
      if (sent >= o.limitBytes) return false;
      s = Buffer.from(s).subarray(0, o.limitBytes - sent).toString();
    }
    sent += Buffer.byteLength(s);
    res.write(s);
    return true;
  };
  const parser = new CriLogParser();
  let pos = 0;
  const readMore = (): Parsed[] => {
    const out: Parsed[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const size = fstatSync(fd).size;
      if (size < pos) pos = 0; // truncated in place
      while (pos < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
        if (n <= 0) break;
        pos += n;
        out.push(...parser.push(buf.subarray(0, n).toString()));
      }
      // Rotated (the file renamed, the runtime writing a new one at path): the old file is
      // drained, follow the new one from its start.
      let cur;
      try { cur = statSync(path); } catch { break; }
      if (cur.ino === fstatSync(fd).ino) break;
      closeSync(fd);
      fd = openSync(path, 'r');
      pos = 0;
    }
    return out.filter((p) => o.sinceMs === undefined || p.ms >= o.sinceMs);
  };
  try {
    let first = readMore();
    if (o.tailLines !== undefined) first = o.tailLines === 0 ? [] : first.slice(-o.tailLines);
    for (const p of first) if (!write(format(p, o))) return;
    if (!o.follow) return;
    let lastCheck = 0;
    let live = true;
    while (!closed) {
      await new Promise((r) => setTimeout(r, 200));
      for (const p of readMore()) if (!write(format(p, o))) return;
      if (Date.now() - lastCheck > 1000) {
        lastCheck = Date.now();
        if (!live) return; // one more read after the container stopped, then done
        live = await running().catch(() => false);
      }
    }
  } finally {
    closeSync(fd);
    if (!res.writableEnded) res.end();
  }
}
