// Pure pieces of the kubelet's lifecycle and streaming: pod phase with init containers and
// restart policies, when a pod is finished, CRI log lines (partial records, timestamps), SPDY
// framing between two in-memory peers (headers, data, half-close), volume payload paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { podPhase } from '../../agent/kubelet/status/pod-status.js';
import { podFinished } from '../../agent/kubelet/kuberuntime/runtime-manager.js';
import { CriLogParser, logOptions } from '../../agent/kubelet/server/logs.js';
import { SpdyConnection } from '../../agent/cri/streaming/spdy.js';
import { validPath } from '../../agent/kubelet/volumes/atomic-writer.js';
import type { RuntimeContainer } from '../../agent/kubelet/status/pod-status.js';

const term = (name: string, exitCode: number): ContainerStatus => ({ name, image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } });
const run = (name: string): ContainerStatus => ({ name, image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } });
const wait = (name: string, last?: number): ContainerStatus => ({ name, image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'x' } }, ...(last !== undefined ? { lastState: { terminated: { exitCode: last } } } : {}) });
const pod = (restartPolicy: string): Pod => ({ metadata: { name: 'p' }, spec: { restartPolicy, containers: [{ name: 'a' }], initContainers: [{ name: 'i' }] } });

test('phase: Pending while init containers run; Failed when one fails under Never', () => {
  assert.equal(podPhase(pod('Always'), [wait('a')], [run('i')]), 'Pending');
  assert.equal(podPhase(pod('Always'), [wait('a')], [wait('i', 1)]), 'Pending');
  assert.equal(podPhase(pod('Never'), [wait('a')], [term('i', 1)]), 'Failed');
  assert.equal(podPhase(pod('Never'), [run('a')], [term('i', 0)]), 'Running');
  assert.equal(podPhase(pod('Never'), [term('a', 0)], [term('i', 0)]), 'Succeeded');
  assert.equal(podPhase(pod('OnFailure'), [term('a', 2)], [term('i', 0)]), 'Running');
  assert.equal(podPhase(pod('Never'), [term('a', 2)], [term('i', 0)]), 'Failed');
});

test('podFinished: only when nothing will run again', () => {
  const c = (name: string, state: string, exit_code = 0, attempt = 0) => ({ metadata: { name, attempt }, state, exit_code, created_at: String(attempt + 1) }) as unknown as RuntimeContainer;
  const rt = (...containers: RuntimeContainer[]) => ({ sandboxes: [{}] as never[], containers });
  assert.equal(podFinished(pod('Always'), rt(c('a', 'CONTAINER_EXITED', 0))), false);
  assert.equal(podFinished(pod('Never'), rt(c('i', 'CONTAINER_EXITED', 0), c('a', 'CONTAINER_EXITED', 1))), true);
  assert.equal(podFinished(pod('OnFailure'), rt(c('i', 'CONTAINER_EXITED', 0), c('a', 'CONTAINER_EXITED', 1))), false);
  assert.equal(podFinished(pod('OnFailure'), rt(c('i', 'CONTAINER_EXITED', 0), c('a', 'CONTAINER_EXITED', 0))), true);
  assert.equal(podFinished(pod('Never'), rt(c('i', 'CONTAINER_EXITED', 3))), true);
  assert.equal(podFinished(pod('Never'), rt(c('i', 'CONTAINER_RUNNING'))), false);
});

test('CRI log lines: partial records joined, stream and tag stripped', () => {
  const p = new CriLogParser();
  const a = p.push('2024-01-01T00:00:00.1Z stdout P hel');
  assert.deepEqual(a, []);
  const b = p.push('\n2024-01-01T00:00:00.2Z stdout F lo\n2024-01-01T00:00:01Z stderr F oops\n2024-01-01');
  assert.deepEqual(b.map((x) => x.text), ['hello\n', 'oops\n']);
  assert.equal(b[0]!.ts, '2024-01-01T00:00:00.2Z');
  const o = logOptions(new URLSearchParams('follow=true&tailLines=5&sinceSeconds=10&timestamps=true'), 100_000);
  assert.deepEqual(o, { follow: true, tailLines: 5, sinceMs: 90_000, timestamps: true, limitBytes: undefined });
  assert.throws(() => logOptions(new URLSearchParams('tailLines=-1')), /invalid tailLines/);
});

test('SPDY: two peers exchange headers, data both ways and half-closes', async () => {
  let server!: SpdyConnection;
  const client = new SpdyConnection({ write: (b) => setImmediate(() => server.feed(b)), end: () => {} }, false);
  server = new SpdyConnection({ write: (b) => setImmediate(() => client.feed(b)), end: () => {} }, true);
  const got: string[] = [];
  server.on('stream', (s) => {
    got.push(`${s.headers.streamtype}:${s.headers.port}`);
    s.reply();
    let body = '';
    s.on('data', (d: Buffer) => { body += d; });
    s.on('end', () => { s.write(`echo ${body}`); s.end(); });
  });
  for (const [i, type] of ['error', 'data', 'data'].entries()) {
    const s = await client.openStream({ streamType: type, port: '80', requestID: String(i) });
    if (type !== 'data') continue;
    const reply = new Promise<string>((r) => { let x = ''; s.on('data', (d: Buffer) => { x += d; }); s.on('end', () => r(x)); });
    s.write(`ping${i}`);
    s.end();
    assert.equal(await reply, `echo ping${i}`);
  }
  assert.deepEqual(got, ['error:80', 'data:80', 'data:80']);
  client.close();
});

test('volume paths cannot escape the volume', () => {
  for (const ok of ['a', 'a/b.txt', '..data2x'.slice(2)]) assert.ok(validPath(ok), ok);
  for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', '..']) assert.equal(validPath(bad), false, bad);
});
