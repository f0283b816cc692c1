// One suite for every storage backend (only the embedded SQLite one today): revisions,
// compare-and-swap, prefix lists, watch from a revision, compaction → Compacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, StoreError, type Backend, type StoreEvent } from '../../control/store/index.js';

const backends: Record<string, () => { b: Backend; cleanup(): void }> = {
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
    return { b: openStore(`sqlite://${join(dir, 'state.db')}`), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  },
};

for (const [name, make] of Object.entries(backends)) {
  test(`${name}: create, get, update with CAS, delete`, async () => {
    const { b, cleanup } = make();
    try {
      const a = await b.create('/registry/pods/default/a', '{"v":1}');
      await assert.rejects(b.create('/registry/pods/default/a', '{}'), (e: StoreError) => e.code === 'KeyExists');
      const a2 = await b.update('/registry/pods/default/a', '{"v":2}', a.modRevision);
      assert.ok(a2.modRevision > a.modRevision);
      assert.equal(a2.createRevision, a.modRevision);
      await assert.rejects(b.update('/registry/pods/default/a', '{"v":3}', a.modRevision), (e: StoreError) => e.code === 'Conflict');
      assert.equal((await b.get('/registry/pods/default/a'))?.value, '{"v":2}');
      await b.delete('/registry/pods/default/a');
      assert.equal(await b.get('/registry/pods/default/a'), undefined);
      await assert.rejects(b.delete('/registry/pods/default/a'), (e: StoreError) => e.code === 'NotFound');
      // A deleted key can be created again, with a new createRevision.
      const again = await b.create('/registry/pods/default/a', '{}');
      assert.equal(again.createRevision, again.modRevision);
    } finally { await b.close(); cleanup(); }
  });

  test(`${name}: list by prefix sees only current values`, async () => {
    const { b, cleanup } = make();
    try {
      await b.create('/registry/pods/default/a', '1');
      const x = await b.create('/registry/pods/default/b', '2');
      await b.create('/registry/pods/kube-system/c', '3');
      await b.create('/registry/podsx/default/d', '4');
      await b.update('/registry/pods/default/b', '22', x.modRevision);
      const l = await b.list('/registry/pods/default/');
      assert.deepEqual(l.kvs.map((k) => [k.key, k.value]), [['/registry/pods/default/a', '1'], ['/registry/pods/default/b', '22']]);
      assert.equal(l.revision, await b.currentRevision());
      assert.equal(await b.count('/registry/pods/'), 3);
    } finally { await b.close(); cleanup(); }
  });

  test(`${name}: watch replays history after a revision, then follows live writes`, async () => {
    const { b, cleanup } = make();
    try {
      const first = await b.create('/registry/pods/default/a', '1');
      await b.create('/registry/pods/default/b', '2');
      const seen: StoreEvent[] = [];
      const w = b.watch('/registry/pods/', first.modRevision, (ev) => seen.push(ev));
      await b.delete('/registry/pods/default/a');
      await b.create('/registry/other/x', 'ignored');
      await new Promise((r) => setTimeout(r, 10));
      w.cancel();
      assert.deepEqual(seen.map((e) => [e.type, e.kv.key]), [['PUT', '/registry/pods/default/b'], ['DELETE', '/registry/pods/default/a']]);
      assert.equal(seen[1].prev?.value, '1');
    } finally { await b.close(); cleanup(); }
  });

  test(`${name}: compaction makes older revisions unwatchable but keeps current values`, async () => {
    const { b, cleanup } = make();
    try {
      const a = await b.create('/registry/pods/default/a', '1');
      const a2 = await b.update('/registry/pods/default/a', '2', a.modRevision);
      await b.compact(a2.modRevision);
      assert.throws(() => b.watch('/registry/pods/', a.modRevision - 1, () => {}), (e: StoreError) => e.code === 'Compacted');
      assert.equal((await b.get('/registry/pods/default/a'))?.value, '2');
    } finally { await b.close(); cleanup(); }
  });
}
