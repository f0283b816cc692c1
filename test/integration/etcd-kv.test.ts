// EtcdKv, the API server's own gRPC path to etcd's KV service, against a real etcd: answers
// decode to etcd3's shapes, etcd's errors keep their message, a member that refuses connections
// is skipped for the next one, a member that stops answering times out and is left, and a
// restarted member is reached again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { EtcdCallError, EtcdKv } from '../../control/store/etcd-kv.js';
import { freePort } from '../helpers/server.js';
import { haveEtcd, startEtcd, type EtcdCluster } from './etcd-cluster.js';

let etcd: EtcdCluster | undefined;
const skip = !haveEtcd && 'no /usr/bin/etcd (apt-get install etcd-server)';
before(async () => { if (haveEtcd) etcd = await startEtcd(1); });
after(async () => { await etcd?.stop(); });

const createTxn = (key: string, value: string) => ({
  compare: [{ key: Buffer.from(key), target: 'Create' as const, result: 'Equal' as const, create_revision: 0 }],
  success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }],
  failure: [{ request_range: { key: Buffer.from(key) } }],
});

test('a create txn, its repeat and a range answer with etcd\'s revisions and values', { skip }, async () => {
  const kv = new EtcdKv({ hosts: [`http://${etcd!.endpoints[0]}`] });
  try {
    const first = await kv.txn(createTxn('/kv-test/a', 'one'));
    assert.equal(first.succeeded, true);
    const rev = Number(first.header.revision);
    assert.ok(rev > 0);
    const again = await kv.txn(createTxn('/kv-test/a', 'two'));
    assert.equal(again.succeeded, false, 'the key exists, so the compare fails');
    const current = again.responses[0].response_range!.kvs[0];
    assert.equal(current.value.toString(), 'one');
    assert.equal(Number(current.create_revision), rev);
    const got = await kv.range({ key: Buffer.from('/kv-test/a') });
    assert.deepEqual(got.kvs.map((k) => [k.key.toString(), k.value.toString(), Number(k.mod_revision)]), [['/kv-test/a', 'one', rev]]);
  } finally { kv.close(); }
});

test('etcd\'s own error comes back with its gRPC code and message', { skip }, async () => {
  const kv = new EtcdKv({ hosts: [`http://${etcd!.endpoints[0]}`] });
  try {
    const put = await kv.txn(createTxn('/kv-test/c', 'x'));
    await kv.compact({ revision: put.header.revision });
    await assert.rejects(kv.range({ key: Buffer.from('/kv-test/c'), revision: 1 }),
      (err: unknown) => err instanceof EtcdCallError && err.code === 11 && /required revision has been compacted/.test(err.message));
  } finally { kv.close(); }
});

test('a member that refuses connections is skipped; a restarted member is reached again', { skip }, async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const kv = new EtcdKv({ hosts: [dead, `http://${etcd!.endpoints[0]}`] });
  try {
    assert.equal((await kv.txn(createTxn('/kv-test/f1', 'x'))).succeeded, true);
    await etcd!.kill(0);
    await assert.rejects(kv.range({ key: Buffer.from('/kv-test/f1') }), (err: unknown) => err instanceof EtcdCallError && err.code === 14);
    await etcd!.start(0);
    const got = await kv.range({ key: Buffer.from('/kv-test/f1') });
    assert.equal(got.kvs[0].value.toString(), 'x');
  } finally { kv.close(); }
});

test('a member that accepts connections but never answers times out, and the next call goes elsewhere', { skip }, async () => {
  const sockets: Socket[] = [];
  const hung = createServer((sock) => { sockets.push(sock); }); // reads nothing, answers nothing
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  const port = (hung.address() as { port: number }).port;
  const kv = new EtcdKv({ hosts: [`http://127.0.0.1:${port}`, `http://${etcd!.endpoints[0]}`], callTimeoutMs: 500 });
  try {
    await assert.rejects(kv.range({ key: Buffer.from('/kv-test/h') }), (err: unknown) => err instanceof EtcdCallError && err.code === 14 && /timed out/.test(err.message));
    const got = await kv.txn(createTxn('/kv-test/h', 'y'));
    assert.equal(got.succeeded, true);
  } finally {
    kv.close();
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => hung.close(r));
  }
});
