// The storage interface the API server writes through, shaped like etcd v3 / k3s' kine:
// keys are /registry/<resource>/<namespace>/<name>, values JSON, and every write gets the
// next store revision, which the API server exposes as metadata.resourceVersion.

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export interface StoreEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue; // for DELETE: the last value, with modRevision = the delete's revision
  prev?: KeyValue;
}

export interface ListResult { kvs: KeyValue[]; revision: number }

export interface Watcher {
  cancel(): void;
  /** Rejects when the store ends the watch on its own: StoreError('Compacted') when the start
   *  revision was compacted away (etcd says so asynchronously), or a lost upstream. */
  failed: Promise<never>;
}

/** A watch failure nobody has to listen to (no unhandled rejection). */
export function failure(): { failed: Promise<never>; fail(err: Error): void } {
  let fail!: (err: Error) => void;
  const failed = new Promise<never>((_, reject) => { fail = reject; });
  failed.catch(() => {});
  return { failed, fail };
}

export interface Backend {
  get(key: string): Promise<KeyValue | undefined>;
  /** Fails with StoreError('KeyExists') if the key is present. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Compare-and-swap on modRevision; StoreError('Conflict') if it moved, ('NotFound') if gone. */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /** Deletes if present (and, when given, only at that modRevision). Returns the deleted value. */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  list(prefix: string): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  /** Events for keys under prefix with revision > fromRevision, then live ones, in order.
   *  Throws StoreError('Compacted') when it knows fromRevision is compacted; otherwise the
   *  Watcher's `failed` rejects with it. */
  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void): Watcher;
  currentRevision(): Promise<number>;
  /** Oldest revision still watchable; watches from before it get StoreError('Compacted'). */
  compactedRevision(): number;
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export type StoreErrorCode = 'KeyExists' | 'Conflict' | 'NotFound' | 'Compacted';

export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, readonly key: string) {
    super(`${code}: ${key}`);
  }
}

/** The next key after every key starting with prefix, for range scans. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
