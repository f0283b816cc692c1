// Writes a volume's files the way upstream's AtomicWriter does, so readers never see a half
// update: the payload goes into a fresh hidden `..<time>` directory, `..data` is swapped to it
// with one rename, and each visible top-level name is a symlink through `..data`. Rewrites only
// when the payload changed; returns whether it did.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';

export interface FileProjection { data: Buffer; mode: number }

/** Rejects absolute paths and `..` so a key cannot escape the volume. */
export function validPath(p: string): boolean {
  if (!p || p.startsWith('/') || p.startsWith('..')) return false;
  const n = normalize(p);
  return !n.startsWith('..') && !n.split(sep).includes('..');
}

function digest(payload: Map<string, FileProjection>): string {
  const h = createHash('sha256');
  for (const [k, v] of [...payload].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`${k}\0${v.mode}\0`).update(v.data).update('\0');
  return h.digest('hex');
}

export function writeAtomic(dir: string, payload: Map<string, FileProjection>): boolean {
  mkdirSync(dir, { recursive: true });
  const sum = digest(payload);
  const marker = join(dir, '..data', '..digest');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === sum) return false;
  const ts = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const tsDir = join(dir, ts);
  mkdirSync(tsDir);
  for (const [path, f] of payload) {
    if (!validPath(path)) continue;
    const file = join(tsDir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, f.data);
    chmodSync(file, f.mode);
  }
  writeFileSync(join(tsDir, '..digest'), sum);
  let old: string | undefined;
  try { old = readlinkSync(join(dir, '..data')); } catch { /* first write */ }
  symlinkSync(ts, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  // Visible names: one symlink per top-level path component.
  const tops = new Set([...payload.keys()].filter(validPath).map((p) => p.split('/')[0]!));
  for (const t of tops) {
    const link = join(dir, t);
    let ok = false;
    try { ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === join('..data', t); } catch { /* missing */ }
    if (!ok) { rmSync(link, { recursive: true, force: true }); symlinkSync(join('..data', t), link); }
  }
  for (const e of readdirSync(dir)) {
    if (e.startsWith('..')) { if (e !== '..data' && e !== ts) rmSync(join(dir, e), { recursive: true, force: true }); continue; }
    if (!tops.has(e)) rmSync(join(dir, e), { recursive: true, force: true });
  }
  if (old && old !== ts) rmSync(join(dir, old), { recursive: true, force: true });
  return true;
}
