// The storage suite (store-suite.ts) on the embedded SQLite backend, bare and behind the watch
// cache, plus what is SQLite's own: URL options, durability mode, the watch cache's fan-out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedList, openStore, type Backend } from '../../control/store/index.js';
import { WatchCache } from '../../control/store/watch-cache.js';
import { SqliteBackend } from '../../control/store/sqlite.js';
import { parseEtcdUrl } from '../../control/store/etcd.js';
import { parseDuration } from '../../control/store/compactor.js';
import { storeSuite } from './store-suite.js';

function sqlite(query = '') {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
    return { b: openStore(`sqlite://${join(dir, 'state.db')}${query}`), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  };
}

storeSuite('sqlite', sqlite('?watchcache=false&compact=0'));
storeSuite('sqlite+watchcache', sqlite('?compact=0'));

test('openStore: options in the URL; bad URLs are clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
  try {
    const plain = openStore(`sqlite://${join(dir, 'a.db')}?watchcache=false&sync=full&compact=0`);
    assert.ok(plain instanceof SqliteBackend);
    const cached = openStore(`sqlite://${join(dir, 'b.db')}`);
    assert.ok(cached instanceof WatchCache);
    void plain.close(); void cached.close();
    assert.throws(() => openStore(`sqlite://${join(dir, 'c.db')}?sync=sometimes`), /sync=sometimes/);
    assert.throws(() => openStore('mysql://x'), /unsupported storage URL/);
    assert.throws(() => openStore('etcd://'), /bad etcd URL/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('etcd URLs: several members and a key prefix', () => {
  assert.deepEqual(parseEtcdUrl('127.0.0.1:2379,10.0.0.2:2379/tskube'), { hosts: ['http://127.0.0.1:2379', 'http://10.0.0.2:2379'], prefix: '/tskube' });
  assert.deepEqual(parseEtcdUrl('etcd-0:2379'), { hosts: ['http://etcd-0:2379'], prefix: '' });
  assert.throws(() => parseEtcdUrl('host-without-port/x'), /bad etcd URL/);
});

test('durations for the compaction interval', () => {
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('soon'), /bad duration/);
});

test('sync=full is PRAGMA synchronous=FULL (2); the default is NORMAL (1)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
  try {
    const full = new SqliteBackend(join(dir, 'f.db'), { sync: 'full' });
    const normal = new SqliteBackend(join(dir, 'n.db'));
    const pragma = (b: SqliteBackend) => (b as unknown as { db: { pragma(s: string, o: object): unknown } }).db.pragma('synchronous', { simple: true });
    assert.equal(pragma(full), 2);
    assert.equal(pragma(normal), 1);
    await full.close(); await normal.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('watch cache: 100 watchers share one upstream watch and replay from memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
  let upstreamWatches = 0;
  const inner = openStore(`sqlite://${join(dir, 'state.db')}?watchcache=false&compact=0`);
  const counting: Backend = Object.assign(Object.create(inner), {
    watch: (...a: Parameters<Backend['watch']>) => { upstreamWatches++; return inner.watch(...a); },
  });
  const cache = new WatchCache(counting, 8);
  try {
    const start = await cache.currentRevision();
    const seen: string[][] = Array.from({ length: 100 }, () => []);
    const ws = seen.map((s, i) => cache.watch(i % 2 ? '/registry/pods/' : '/registry/pods/default/', start, (ev) => s.push(ev.kv.key)));
    await cache.create('/registry/pods/default/a', '1');
    await cache.create('/registry/pods/other/b', '1');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(upstreamWatches, 1);
    assert.equal(cache.upstreamWatches(), 1);
    assert.deepEqual(seen[0], ['/registry/pods/default/a']);
    assert.deepEqual(seen[1], ['/registry/pods/default/a', '/registry/pods/other/b']);
    // A late watcher from the start revision is served from the cache's history.
    const late: string[] = [];
    const lw = cache.watch('/registry/pods/', start, (ev) => late.push(ev.kv.key));
    assert.equal(late.length, 2);
    assert.equal(upstreamWatches, 1);
    // Past the cache's capacity, older revisions fall back to the store.
    for (let i = 0; i < 20; i++) await cache.create(`/registry/pods/default/x${i}`, '1');
    await new Promise((r) => setTimeout(r, 20));
    const old: string[] = [];
    const ow = cache.watch('/registry/pods/', start, (ev) => old.push(ev.kv.key));
    assert.equal(old.length, 22);
    assert.equal(upstreamWatches, 2);
    [...ws, lw, ow].forEach((w) => w.cancel());
  } finally { await cache.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('sqlite group commit: concurrent writes share a transaction; a refused one fails alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
  const b = new SqliteBackend(join(dir, 'g.db'), { sync: 'full' });
  try {
    const dup = await b.create('/registry/pods/default/dup', '0');
    const results = await Promise.allSettled([
      ...Array.from({ length: 100 }, (_, i) => b.create(`/registry/pods/default/p${i}`, String(i))),
      b.create('/registry/pods/default/dup', 'again'),
      b.update('/registry/pods/default/dup', '1', dup.modRevision),
      b.update('/registry/pods/default/dup', '2', dup.modRevision), // stale after the one before it
    ]);
    const revs = results.slice(0, 100).map((r) => (r as PromiseFulfilledResult<{ modRevision: number }>).value.modRevision);
    assert.deepEqual(revs, Array.from({ length: 100 }, (_, i) => dup.modRevision + 1 + i), 'one revision each, in call order');
    assert.equal(results[100].status, 'rejected');
    assert.equal(results[101].status, 'fulfilled');
    assert.equal(results[102].status, 'rejected');
    assert.equal((await b.get('/registry/pods/default/dup'))?.value, '1');
    assert.equal(await b.count('/registry/pods/'), 101);
    assert.equal(await b.currentRevision(), dup.modRevision + 101);
  } finally { await b.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('watch cache: cachedList mirrors a resource after one store list', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
  const inner = openStore(`sqlite://${join(dir, 'state.db')}?watchcache=false&compact=0`);
  let lists = 0;
  const counting: Backend = Object.assign(Object.create(inner), {
    list: (p: string) => { lists++; return inner.list(p); },
  });
  const cache = new WatchCache(counting);
  try {
    await cache.create('/registry/limitranges/ns1/a', '1');
    assert.deepEqual((await cachedList(cache, '/registry/limitranges/ns1/')).kvs.map((k) => k.value), ['1']);
    const b = await cache.create('/registry/limitranges/ns1/b', '2');
    await cache.create('/registry/limitranges/ns2/c', '3');
    await cache.update('/registry/limitranges/ns1/b', '22', b.modRevision);
    await cache.delete('/registry/limitranges/ns1/a');
    await new Promise((r) => setTimeout(r, 10));
    const l = await cachedList(cache, '/registry/limitranges/ns1/');
    assert.deepEqual(l.kvs.map((k) => [k.key, k.value]), [['/registry/limitranges/ns1/b', '22']]);
    assert.equal(l.revision, await cache.currentRevision());
    assert.equal((await cachedList(cache, '/registry/limitranges/')).kvs.length, 2);
    assert.equal(lists, 1, 'one store list, then the watch keeps the mirror');
    assert.equal((await cachedList(inner, '/registry/limitranges/')).kvs.length, 2, 'a store without a cache lists');
  } finally { await cache.close(); rmSync(dir, { recursive: true, force: true }); }
});
