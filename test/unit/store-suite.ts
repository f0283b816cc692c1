// The one storage suite every backend must pass (SQLite, etcd, each behind the watch cache):
// revisions, compare-and-swap, prefix lists, watch from a revision, compaction → Compacted.
// store.test.ts runs it on SQLite; integration/store-backends.test.ts on a real etcd too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, type Backend, type StoreEvent, type Watcher } from '../../control/store/index.js';

export type MakeBackend = () => Promise<{ b: Backend; cleanup(): Promise<void> | void }>;

const isCode = (code: string) => (e: unknown) => e instanceof StoreError && e.code === code;

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A watch from a compacted revision fails: at once (SQLite) or through `failed` (etcd). */
async function expectCompacted(b: Backend, prefix: string, from: number): Promise<void> {
  let w: Watcher;
  try { w = b.watch(prefix, from, () => {}); } catch (e) { assert.ok(isCode('Compacted')(e), String(e)); return; }
  try {
    await assert.rejects(Promise.race([w.failed, new Promise((_, rej) => setTimeout(() => rej(new Error('no Compacted within 5 s')), 5000))]), isCode('Compacted'));
  } finally { w.cancel(); }
}

export function storeSuite(name: string, make: MakeBackend): void {
  const withStore = (title: string, fn: (b: Backend) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const { b, cleanup } = await make();
      try { await fn(b); } finally { await b.close(); await cleanup(); }
    });

  withStore('create, get, update with CAS, delete', async (b) => {
    const a = await b.create('/registry/pods/default/a', '{"v":1}');
    assert.equal(a.createRevision, a.modRevision);
    await assert.rejects(b.create('/registry/pods/default/a', '{}'), isCode('KeyExists'));
    const a2 = await b.update('/registry/pods/default/a', '{"v":2}', a.modRevision);
    assert.ok(a2.modRevision > a.modRevision);
    assert.equal(a2.createRevision, a.modRevision);
    await assert.rejects(b.update('/registry/pods/default/a', '{"v":3}', a.modRevision), isCode('Conflict'));
    await assert.rejects(b.update('/registry/pods/default/nope', '{}', 1), isCode('NotFound'));
    assert.deepEqual(await b.get('/registry/pods/default/a'), a2);
    await assert.rejects(b.delete('/registry/pods/default/a', a.modRevision), isCode('Conflict'));
    const gone = await b.delete('/registry/pods/default/a', a2.modRevision);
    assert.equal(gone.value, '{"v":2}');
    assert.ok(gone.modRevision > a2.modRevision, 'a delete is a new revision');
    assert.equal(await b.get('/registry/pods/default/a'), undefined);
    await assert.rejects(b.delete('/registry/pods/default/a'), isCode('NotFound'));
    // A deleted key can be created again, with a new createRevision.
    const again = await b.create('/registry/pods/default/a', '{}');
    assert.equal(again.createRevision, again.modRevision);
    assert.ok(again.modRevision > gone.modRevision);
  });

  withStore('values and keys round-trip byte for byte', async (b) => {
    const value = JSON.stringify({ s: 'ünïcødé ✓ 日本', big: 'x'.repeat(200_000), n: [1, 2.5, null] });
    await b.create('/registry/configmaps/default/u', value);
    assert.equal((await b.get('/registry/configmaps/default/u'))?.value, value);
  });

  withStore('list by prefix sees only current values, at a revision', async (b) => {
    await b.create('/registry/pods/default/a', '1');
    const x = await b.create('/registry/pods/default/b', '2');
    await b.create('/registry/pods/kube-system/c', '3');
    await b.create('/registry/podsx/default/d', '4');
    await b.create('/registry/pods/default/z', 'gone');
    await b.delete('/registry/pods/default/z');
    await b.update('/registry/pods/default/b', '22', x.modRevision);
    const l = await b.list('/registry/pods/default/');
    assert.deepEqual(l.kvs.map((k) => [k.key, k.value]), [['/registry/pods/default/a', '1'], ['/registry/pods/default/b', '22']]);
    assert.equal(l.revision, await b.currentRevision());
    assert.equal(await b.count('/registry/pods/'), 3);
    assert.equal((await b.list('/registry/nothing/')).kvs.length, 0);
  });

  withStore('watch replays history after a revision, then follows live writes', async (b) => {
    const first = await b.create('/registry/pods/default/a', '1');
    await b.create('/registry/pods/default/b', '2');
    const seen: StoreEvent[] = [];
    const w = b.watch('/registry/pods/', first.modRevision, (ev) => seen.push(ev));
    const upd = await b.update('/registry/pods/default/b', '3', first.modRevision + 1);
    await b.delete('/registry/pods/default/a');
    await b.create('/registry/other/x', 'ignored');
    await until('3 events', () => seen.length >= 3);
    await new Promise((r) => setTimeout(r, 50));
    w.cancel();
    assert.deepEqual(seen.map((e) => [e.type, e.kv.key]),
      [['PUT', '/registry/pods/default/b'], ['PUT', '/registry/pods/default/b'], ['DELETE', '/registry/pods/default/a']]);
    assert.equal(seen[1].kv.modRevision, upd.modRevision);
    assert.equal(seen[1].prev?.value, '2');
    assert.equal(seen[2].prev?.value, '1');
    assert.equal(seen[2].kv.value, '1', 'a DELETE carries the last value');
  });

  withStore('a namespace watch sees only its namespace; cancel stops delivery', async (b) => {
    const rev = await b.currentRevision();
    const ns: StoreEvent[] = [], all: StoreEvent[] = [];
    const w1 = b.watch('/registry/pods/ns1/', rev, (ev) => ns.push(ev));
    const w2 = b.watch('/registry/pods/', rev, (ev) => all.push(ev));
    await b.create('/registry/pods/ns1/a', '1');
    await b.create('/registry/pods/ns2/a', '1');
    await until('both events', () => all.length === 2);
    w1.cancel();
    w2.cancel();
    await b.create('/registry/pods/ns1/b', '1');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(ns.map((e) => e.kv.key), ['/registry/pods/ns1/a']);
    assert.equal(all.length, 2);
  });

  withStore('many watchers from the same revision all see every event in order', async (b) => {
    const rev = await b.currentRevision();
    const seen: number[][] = Array.from({ length: 50 }, () => []);
    const ws = seen.map((s) => b.watch('/registry/pods/', rev, (ev) => s.push(ev.kv.modRevision)));
    const revs: number[] = [];
    for (let i = 0; i < 5; i++) revs.push((await b.create(`/registry/pods/default/p${i}`, String(i))).modRevision);
    await until('every watcher sees 5', () => seen.every((s) => s.length === 5));
    for (const s of seen) assert.deepEqual(s, revs);
    ws.forEach((w) => w.cancel());
  });

  withStore('compaction makes older revisions unwatchable but keeps current values', async (b) => {
    const a = await b.create('/registry/pods/default/a', '1');
    const a2 = await b.update('/registry/pods/default/a', '2', a.modRevision);
    const d = await b.create('/registry/pods/default/d', 'x');
    await b.delete('/registry/pods/default/d', d.modRevision);
    const before = await b.currentRevision();
    await b.compact(before);
    assert.ok(b.compactedRevision() >= before);
    assert.equal(await b.currentRevision(), before, 'compaction never moves the revision back');
    await expectCompacted(b, '/registry/pods/', a.modRevision - 1);
    assert.equal((await b.get('/registry/pods/default/a'))?.value, '2');
    assert.equal((await b.get('/registry/pods/default/a'))?.modRevision, a2.modRevision);
    assert.equal(await b.get('/registry/pods/default/d'), undefined);
    const next = await b.create('/registry/pods/default/n', '1');
    assert.ok(next.modRevision > before);
    // Watching from the compaction point still works.
    const seen: StoreEvent[] = [];
    const w = b.watch('/registry/pods/', before, (ev) => seen.push(ev));
    await until('the post-compaction write', () => seen.length === 1);
    w.cancel();
    assert.equal(seen[0].kv.key, '/registry/pods/default/n');
  });
}
