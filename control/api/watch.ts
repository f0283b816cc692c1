// Watch: a chunked stream of {"type","object"} lines. resourceVersion unset or "0" starts
// with synthetic ADDED events for what exists; N resumes after N; a compacted N gets an
// ERROR 410 Expired. Objects leaving a selector become DELETED, as upstream does.
import type { ServerResponse } from 'node:http';
import type { Obj } from './resource-def.js';
import type { Target } from './rest.js';
import { withType } from './rest.js';
import type { Store } from './storage.js';
import { StoreError } from '../store/index.js';
import { expired } from './status.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { toTable } from './table.js';

export interface WatchQuery {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: string;
  allowWatchBookmarks?: string;
}

/** The JSON line of the last event sent: built once and shared by every watcher the same
 *  decoded event reaches (the watch cache fans it out back to back). One slot, not a map. */
let lastLine: { obj: Obj; type: string; def: Target['def']; line: string } | undefined;

function eventLine(t: Target, type: string, obj: Obj): string {
  const l = lastLine;
  if (l && l.obj === obj && l.type === type && l.def === t.def) return l.line;
  const line = JSON.stringify({ type, object: withType(t.def, obj) }) + '\n';
  lastLine = { obj, type, def: t.def, line };
  return line;
}

export async function serveWatch(store: Store, t: Target, q: WatchQuery, asTable: boolean, res: ServerResponse): Promise<void> {
  const labels = parseLabelSelector(q.labelSelector);
  const fields = parseFieldSelector(q.fieldSelector);
  const matches = (o: Obj | undefined) => !!o && labels(o.metadata?.labels) && fields(o);
  let headersSent = false;
  const send = (type: string, obj: Obj) => {
    if (!asTable && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) { res.write(eventLine(t, type, obj)); return; }
    const object = asTable && type !== 'ERROR' && type !== 'BOOKMARK' ? toTable(t.def, [withType(t.def, obj)], obj.metadata?.resourceVersion, !headersSent) : type === 'ERROR' ? obj : withType(t.def, obj);
    if (asTable && type !== 'ERROR') headersSent = true;
    res.write(JSON.stringify({ type, object }) + '\n');
  };

  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  res.flushHeaders?.();

  let from: number;
  const rv = q.resourceVersion;
  if (!rv || rv === '0') {
    const { items, revision } = await store.list(t.def, t.namespace);
    for (const o of items) if (matches(o)) send('ADDED', o);
    from = revision;
  } else {
    from = Number(rv);
    if (!Number.isFinite(from)) from = 0;
  }

  let watcher;
  try {
    watcher = store.watch(t.def, t.namespace, from, (ev) => {
      const now = matches(ev.obj), before = matches(ev.prev);
      if (ev.type === 'DELETED') { if (before || now) send('DELETED', ev.obj); return; }
      if (now) send(before || ev.type === 'ADDED' ? ev.type : 'ADDED', ev.obj);
      else if (before) send('DELETED', ev.obj);
    });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'Compacted') {
      send('ERROR', expired(`too old resource version: ${rv} (${store.backend.compactedRevision()})`).toStatus() as Obj);
      res.end();
      return;
    }
    throw err;
  }

  const timeout = Number(q.timeoutSeconds) > 0 ? Number(q.timeoutSeconds) * 1000 : 30 * 60 * 1000;
  let bookmarks: NodeJS.Timeout | undefined, preTimeout: NodeJS.Timeout | undefined;
  if (q.allowWatchBookmarks === 'true' && !asTable) {
    const bookmark = async () => {
      const revision = String(await store.backend.currentRevision());
      if (!res.writableEnded) send('BOOKMARK', { kind: t.def.kind, apiVersion: '', metadata: { resourceVersion: revision } });
    };
    // As upstream's cacher: roughly every minute, and 2 s before the watch's deadline.
    bookmarks = setInterval(bookmark, 60_000);
    if (timeout > 2000 && timeout - 2000 < 60_000) preTimeout = setTimeout(bookmark, timeout - 2000);
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeout);
    res.on('close', () => { clearTimeout(timer); resolve(); });
    // The store may end the watch later (etcd reports a compacted revision asynchronously).
    watcher.failed.catch((err) => {
      if (err instanceof StoreError && err.code === 'Compacted') send('ERROR', expired(`too old resource version: ${rv} (${store.backend.compactedRevision()})`).toStatus() as Obj);
      clearTimeout(timer);
      resolve();
    });
  });
  watcher.cancel();
  clearInterval(bookmarks);
  clearTimeout(preTimeout);
  if (!res.writableEnded) res.end();
}
