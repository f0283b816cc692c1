// Watch over HTTP as clients use it: a compacted resourceVersion answers an ERROR 410 Expired
// event, allowWatchBookmarks brings BOOKMARK events, timeoutSeconds ends the stream, label and
// field selectors filter it, and a @kubernetes/client-node informer relists after a 410.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, waitFor, type TestServer } from '../helpers/server.js';

let srv: TestServer; // default compaction (5 min): nothing is compacted during the test
let compacting: TestServer; // compacts every 300 ms
const dbDir = mkdtempSync(join(tmpdir(), 'tskube-watch-'));
before(async () => {
  srv = await startServer(['--disable', 'scheduler,controllers,dns']);
  compacting = await startServer(['--disable', 'scheduler,controllers,dns', '--storage', `sqlite://${join(dbDir, 'state.db')}?compact=300ms`]);
});
after(async () => { await srv?.stop(); await compacting?.stop(); rmSync(dbDir, { recursive: true, force: true }); });

type Ev = { type: string; object: { kind?: string; code?: number; reason?: string; message?: string; metadata?: { name?: string; resourceVersion?: string } } };
const cms = (s: TestServer) => `${s.url}/api/v1/namespaces/default/configmaps`;

async function createCM(s: TestServer, name: string, labels: Record<string, string> = {}): Promise<string> {
  const res = await fetch(cms(s), { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { v: '1' } }) });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as Ev['object']).metadata!.resourceVersion!;
}

/** Follows a watch stream; `ended` resolves when the server ends it. */
function watch(s: TestServer, query: string) {
  const events: Ev[] = [];
  const ctl = new AbortController();
  let status = 0;
  const ended = (async () => {
    const res = await fetch(`${cms(s)}?watch=true&${query}`, { signal: ctl.signal });
    status = res.status;
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) { events.push(JSON.parse(buf.slice(0, nl))); buf = buf.slice(nl + 1); }
    }
  })().catch((err) => { if (!ctl.signal.aborted) throw err; });
  return { events, ended, status: () => status, stop: () => { ctl.abort(); return ended; } };
}

const listRV = async (s: TestServer) => ((await (await fetch(cms(s))).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

test('a watch from a compacted resourceVersion gets one ERROR event: 410 Expired', async () => {
  const old = await createCM(compacting, 'before-compaction');
  for (let i = 0; i < 3; i++) await createCM(compacting, `after-compaction-${i}`);
  const w = await waitFor('the store to compact past the old resourceVersion', async () => {
    const w = watch(compacting, `resourceVersion=${old}`);
    await Promise.race([w.ended, new Promise((r) => setTimeout(r, 500))]);
    if (w.events[0]?.type === 'ERROR') return w;
    await w.stop();
    return undefined;
  }, 15_000, 100);
  await w.ended; // the server ends the stream after the error
  assert.equal(w.status(), 200);
  assert.equal(w.events.length, 1);
  const st = w.events[0].object;
  assert.equal(st.kind, 'Status');
  assert.equal(st.code, 410);
  assert.equal(st.reason, 'Expired');
  assert.match(st.message!, /too old resource version/);
});

test('allowWatchBookmarks=true brings a BOOKMARK before the watch times out', async () => {
  const rv = await listRV(srv);
  const w = watch(srv, `resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=4`);
  await waitFor('a BOOKMARK event', () => w.events.some((e) => e.type === 'BOOKMARK'), 10_000, 50);
  const bm = w.events.find((e) => e.type === 'BOOKMARK')!.object;
  assert.equal(bm.kind, 'ConfigMap');
  assert.ok(Number(bm.metadata?.resourceVersion) >= Number(rv), 'a bookmark carries a resourceVersion to resume from');
  await w.ended;
  // Without allowWatchBookmarks there are none.
  const plain = watch(srv, `resourceVersion=${rv}&timeoutSeconds=3`);
  await plain.ended;
  assert.ok(!plain.events.some((e) => e.type === 'BOOKMARK'));
});

test('timeoutSeconds=1 ends the stream after about a second', async () => {
  const t0 = Date.now();
  const w = watch(srv, `resourceVersion=${await listRV(srv)}&timeoutSeconds=1`);
  await Promise.race([w.ended, new Promise((_, rej) => setTimeout(() => rej(new Error('stream still open after 5 s')), 5000))]);
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 5000, `ended after ${took} ms`);
});

test('labelSelector and fieldSelector filter a watch; an object leaving the selector is DELETED', async () => {
  const rv = await listRV(srv);
  const byLabel = watch(srv, `resourceVersion=${rv}&labelSelector=${encodeURIComponent('tier=web')}`);
  const byField = watch(srv, `resourceVersion=${rv}&fieldSelector=${encodeURIComponent('metadata.name=sel-b')}`);
  try {
    await createCM(srv, 'sel-a', { tier: 'web' });
    await createCM(srv, 'sel-b', { tier: 'db' });
    await createCM(srv, 'sel-c', { tier: 'web' });
    // sel-a leaves the label selector.
    const res = await fetch(`${cms(srv)}/sel-a`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { tier: 'cache' } } }) });
    assert.equal(res.status, 200);
    await createCM(srv, 'sel-end', { tier: 'web' });
    const seen = (w: { events: Ev[] }) => w.events.map((e) => `${e.type} ${e.object.metadata?.name}`);
    await waitFor('the label watch to see the last write', () => seen(byLabel).includes('ADDED sel-end'), 10_000, 20);
    assert.deepEqual(seen(byLabel), ['ADDED sel-a', 'ADDED sel-c', 'DELETED sel-a', 'ADDED sel-end']);
    await waitFor('the field watch to see sel-b', () => byField.events.length >= 1, 10_000, 20);
    // The field watch saw everything up to sel-end by now, and only sel-b matched.
    assert.deepEqual(seen(byField), ['ADDED sel-b']);
  } finally {
    await byLabel.stop();
    await byField.stop();
  }
});

test('a client-node informer resuming from a compacted resourceVersion relists after the 410', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: compacting.url, skipTLSVerify: true }],
    users: [{ name: 't' }], contexts: [{ name: 't', cluster: 't', user: 't' }], currentContext: 't',
  });
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await createCM(compacting, 'inf-gone');
  const informer = new k8s.ListWatch('/api/v1/namespaces/default/configmaps', new k8s.Watch(kc), () => core.listNamespacedConfigMap({ namespace: 'default' }), false);
  const errors: unknown[] = [];
  const deleted: string[] = [];
  informer.on('error', (err) => errors.push(err));
  informer.on('delete', (o) => deleted.push(o.metadata!.name!));
  await informer.start();
  try {
    await waitFor('the informer cache', () => informer.get('inf-gone', 'default'), 10_000, 20);
    await informer.stop();
    const stale = informer.latestResourceVersion();
    // While it is away: one object goes, one comes, and the store compacts past what it knew.
    await core.deleteNamespacedConfigMap({ name: 'inf-gone', namespace: 'default' });
    await createCM(compacting, 'inf-new');
    await waitFor('compaction past the informer\'s resourceVersion', async () => {
      const w = watch(compacting, `resourceVersion=${stale}`);
      await Promise.race([w.ended, new Promise((r) => setTimeout(r, 300))]);
      await w.stop();
      return w.events[0]?.object.code === 410;
    }, 15_000, 100);
    await informer.start(); // resumes its watch at `stale`, gets the 410, relists
    await waitFor('the relisted cache', () => informer.get('inf-new', 'default') && !informer.get('inf-gone', 'default'), 15_000, 20);
    assert.deepEqual(deleted, ['inf-gone'], 'the relist reports what vanished meanwhile');
    assert.notEqual(informer.latestResourceVersion(), stale);
    // stop() aborts the open watch, and client-node reports that abort as an error; nothing else.
    assert.deepEqual(errors.filter((e) => (e as Error).name !== 'AbortError'), []);
  } finally {
    await informer.stop();
  }
});
