// A JSON list written as it is decoded: one object at a time from the store's values into
// 64 KiB chunks, so a list of 10,000 pods never holds every parsed object or one big string.
// Same body as Rest.list serialized whole (kind, apiVersion, metadata, items in key order).
import type { ServerResponse } from 'node:http';
import type { Target } from './rest.js';
import { withType } from './rest.js';
import type { Store } from './storage.js';
import { apiVersionOf } from './resource-def.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

const chunkBytes = 64 * 1024;

/** Resolves once the socket takes more (or is gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Throws (before anything is written) on bad selectors or a failed store read. */
export async function serveList(store: Store, t: Target, q: { labelSelector?: string; fieldSelector?: string }, res: ServerResponse): Promise<void> {
  const labels = parseLabelSelector(q.labelSelector);
  const fields = parseFieldSelector(q.fieldSelector);
  const { kvs, revision } = await store.listRaw(t.def, t.namespace);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  let chunk = `{"kind":${JSON.stringify(`${t.def.kind}List`)},"apiVersion":${JSON.stringify(apiVersionOf(t.def))},"metadata":{"resourceVersion":"${revision}"},"items":[`;
  let first = true;
  for (let i = 0; i < kvs.length; i++) {
    const o = store.decode(kvs[i]);
    (kvs as unknown[])[i] = undefined; // the value string can go as soon as it is written
    if (!(labels(o.metadata?.labels) && fields(o))) continue;
    chunk += (first ? '' : ',') + JSON.stringify(withType(t.def, o));
    first = false;
    if (chunk.length >= chunkBytes) {
      if (res.destroyed) return;
      const more = res.write(chunk);
      chunk = '';
      if (!more) await drained(res);
    }
  }
  res.end(chunk + ']}');
}
