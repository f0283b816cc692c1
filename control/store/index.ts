// Opens a storage backend from a URL, kine-style: sqlite:///path/state.db (the embedded
// default). Other backends (etcd://) register here by scheme.
import { SqliteBackend } from './sqlite.js';
import type { Backend } from './backend.js';

export * from './backend.js';

const backends: Record<string, (rest: string) => Backend> = {
  'sqlite:': (rest) => new SqliteBackend(rest),
};

export function openStore(url: string): Backend {
  const m = /^([a-z0-9]+:)\/\/(.*)$/.exec(url);
  const open = m && backends[m[1]];
  if (!m || !open) throw new Error(`unsupported storage URL ${url}: use sqlite:///path/to/state.db`);
  return open(m[2]);
}
