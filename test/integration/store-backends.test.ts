// The storage suite on every backend against real stores: SQLite and a real single-member etcd
// (Debian's etcd-server on free loopback ports), each bare and behind the watch cache; plus
// what only etcd shows: keys exactly /registry/… for etcdctl, a key prefix, restart of etcd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../control/store/index.js';
import { storeSuite } from '../unit/store-suite.js';
import { haveEtcd, startEtcd, type EtcdCluster } from './etcd-cluster.js';

let etcd: EtcdCluster | undefined;
let n = 0;
before(async () => { if (haveEtcd) etcd = await startEtcd(1); });
after(async () => { await etcd?.stop(); });

const sqlite = (q: string) => async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-store-'));
  return { b: openStore(`sqlite://${join(dir, 'state.db')}${q}`), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};
// Each etcd test gets its own key prefix, so tests don't see each other's keys.
const onEtcd = (q: string) => async () => ({ b: openStore(`${etcd!.url}/t${++n}${q}`), cleanup: () => {} });

storeSuite('sqlite', sqlite('?watchcache=false&compact=0'));
storeSuite('sqlite+watchcache', sqlite('?compact=0'));
storeSuite('sqlite sync=full (writer thread)', sqlite('?sync=full&compact=0'));
if (haveEtcd) {
  storeSuite('etcd', onEtcd('?watchcache=false&compact=0'));
  storeSuite('etcd+watchcache', onEtcd('?compact=0'));
} else test('etcd backend', { skip: 'no /usr/bin/etcd (apt-get install etcd-server)' }, () => {});

const etcdctl = (...args: string[]) => execFileSync('etcdctl', ['--endpoints', etcd!.endpoints.join(','), ...args], { env: { ...process.env, ETCDCTL_API: '3' } }).toString();

test('etcd: keys are exactly /registry/<resource>/<ns>/<name> and values exactly the JSON', { skip: !haveEtcd && 'no etcd' }, async () => {
  const b = openStore(`${etcd!.url}?compact=0`);
  try {
    await b.create('/registry/pods/default/nginx-1', '{"kind":"Pod","metadata":{"name":"nginx-1"}}');
    await b.create('/registry/pods/default/nginx-2', '{"kind":"Pod"}');
    assert.deepEqual(etcdctl('get', '/registry/pods/default', '--prefix', '--keys-only').split('\n').filter(Boolean),
      ['/registry/pods/default/nginx-1', '/registry/pods/default/nginx-2']);
    assert.equal(etcdctl('get', '/registry/pods/default/nginx-1', '--print-value-only').trim(), '{"kind":"Pod","metadata":{"name":"nginx-1"}}');
  } finally { await b.close(); }
});

test('etcd: data survives a restart of etcd; clients reconnect', { skip: !haveEtcd && 'no etcd' }, async () => {
  const b = openStore(`${etcd!.url}/restart?compact=0`);
  try {
    const a = await b.create('/registry/configmaps/default/keep', '{"data":{"k":"v"}}');
    await etcd!.kill(0);
    await etcd!.start(0);
    const got = await b.get('/registry/configmaps/default/keep');
    assert.equal(got?.value, '{"data":{"k":"v"}}');
    assert.equal(got?.modRevision, a.modRevision);
    const next = await b.update('/registry/configmaps/default/keep', '{}', a.modRevision);
    assert.ok(next.modRevision > a.modRevision);
  } finally { await b.close(); }
});

test('etcd: a watch from a revision another server compacted fails with Compacted (bare and cached)', { skip: !haveEtcd && 'no etcd' }, async () => {
  const compactor = openStore(`${etcd!.url}/compacted?compact=0&watchcache=false`);
  const fresh = [openStore(`${etcd!.url}/compacted?compact=0&watchcache=false`), openStore(`${etcd!.url}/compacted?compact=0`)];
  try {
    const a = await compactor.create('/registry/pods/default/a', '1');
    await compactor.update('/registry/pods/default/a', '2', a.modRevision);
    await compactor.compact(await compactor.currentRevision());
    for (const b of fresh) {
      assert.equal(b.compactedRevision(), 0, 'this client has not seen the compaction');
      const w = b.watch('/registry/pods/', a.modRevision - 1, () => {});
      await assert.rejects(w.failed, (e: Error) => (e as { code?: string }).code === 'Compacted');
    }
  } finally { await compactor.close(); for (const b of fresh) await b.close(); }
});

test('etcd: a list larger than one page (and than gRPC\'s 4 MiB) is one consistent snapshot', { skip: !haveEtcd && 'no etcd' }, async () => {
  const b = openStore(`${etcd!.url}/big?compact=0`);
  try {
    const value = 'v'.repeat(4000);
    for (let i = 0; i < 1300; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => b.create(`/registry/pods/default/p${String(i + j).padStart(5, '0')}`, value)));
    const writes = Promise.all(Array.from({ length: 50 }, (_, j) => b.create(`/registry/pods/default/late${j}`, value)));
    const l = await b.list('/registry/pods/');
    await writes;
    const early = l.kvs.filter((kv) => !kv.key.includes('late')).length;
    assert.equal(early, 1300);
    assert.ok(l.kvs.every((kv) => kv.modRevision <= l.revision), 'nothing newer than the list revision');
    assert.equal(l.kvs.length - early, l.kvs.filter((kv) => kv.key.includes('late')).length);
    assert.equal(new Set(l.kvs.map((kv) => kv.key)).size, l.kvs.length);
    assert.equal(await b.count('/registry/pods/'), 1350);
  } finally { await b.close(); }
});
