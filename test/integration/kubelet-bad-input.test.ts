// Pod specs the node refuses, against a real runtime and `tskube server`: kubelet admission
// rejects pods whose requests do not fit (OutOfcpu / OutOfmemory, Failed, an Event), and a
// container whose command does not exist waits with the runtime's error while a healthy pod on
// the same kubelet keeps running untouched; so does one whose memory limit the runtime refuses. Needs root.
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, test } from 'node:test';
import type { Container, Event, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { startKubeletStack, waitFor, type KubeletStack } from './cri-kubelet-stack.js';

const NODE = 'kl-bad';
let stack: KubeletStack;
let client: ApiClient;

const SLEEP = 'trap "exit 0" TERM; while true; do sleep 1; done';
const c = (extra: Partial<Container> = {}): Container => ({ name: 'main', image: 'busybox', command: ['sh', '-c', SLEEP], ...extra });
const pod = (name: string, containers: Container[]): Pod =>
  ({ metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers } });
const getPod = (name: string) => client.get<Pod>(R.pods, name, 'default');
const until = (name: string, what: string, ok: (p: Pod) => boolean, ms = 30_000) =>
  waitFor(`${name}: ${what}`, async () => { const p = await getPod(name); return ok(p) && p; }, ms);
async function events(name: string): Promise<Event[]> {
  return (await client.list<Event>(R.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name);
}

before(async () => {
  stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.245.0/24', kubelet: { crashLoopBackoffBaseMs: 500, crashLoopBackoffMaxMs: 2000 } });
  client = stack.client;
});

after(async () => { await stack?.stop(); });

test('admission: requests beyond allocatable minus admitted pods are rejected OutOfcpu / OutOfmemory', async () => {
  const cpus = os.cpus().length * 1000;
  const big = cpus - 500;
  await client.create(R.pods, pod('fits', [c({ resources: { requests: { cpu: `${big}m` } } })]));
  await until('fits', 'Running', (p) => p.status?.phase === 'Running');
  await client.create(R.pods, pod('no-cpu', [c({ resources: { requests: { cpu: '1' } } })]));
  const p = await until('no-cpu', 'Failed', (x) => x.status?.phase === 'Failed');
  assert.equal(p.status!.reason, 'OutOfcpu');
  assert.equal(p.status!.message, `Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: ${big}, capacity: ${cpus}`);
  assert.equal(p.status!.containerStatuses, undefined, 'a rejected pod never ran');
  const ev = await waitFor('OutOfcpu event', async () => (await events('no-cpu')).find((e) => e.reason === 'OutOfcpu'));
  assert.equal(ev.type, 'Warning');
  assert.match(ev.message!, /^Node didn't have enough resource: cpu, requested: 1000, used: \d+, capacity: \d+$/);

  await client.create(R.pods, pod('no-mem', [c({ resources: { requests: { memory: '64Ti' } } })]));
  const m = await until('no-mem', 'Failed', (x) => x.status?.phase === 'Failed');
  assert.equal(m.status!.reason, 'OutOfmemory');
  assert.match(m.status!.message!, /^Pod was rejected: Node didn't have enough resource: memory, requested: 70368744177664, used: 0, capacity: \d+$/);

  // The admitted pod is untouched; a pod that fits beside it still starts.
  await client.create(R.pods, pod('small', [c({ resources: { requests: { cpu: '100m', memory: '16Mi' } } })]));
  await until('small', 'Running', (x) => x.status?.phase === 'Running');
  const f = await getPod('fits');
  assert.equal(f.status!.phase, 'Running');
  assert.equal(f.status!.containerStatuses![0]!.restartCount, 0);
  // Rejection is final: freeing the room does not revive the rejected pod.
  await client.delete(R.pods, 'fits', 'default');
  await new Promise((r) => setTimeout(r, 1500)); // a few syncs' worth; asserts nothing happened
  assert.equal((await getPod('no-cpu')).status!.phase, 'Failed');
});

test('a command that does not exist: RunContainerError / CrashLoopBackOff with the runtime message; other pods stay healthy', async () => {
  await client.create(R.pods, pod('healthy', [c()]));
  await until('healthy', 'Running', (p) => !!p.status?.containerStatuses?.[0]?.state?.running);
  await client.create(R.pods, pod('badcmd', [c({ command: ['/nonexistent'] })]));
  const reasons = new Set<string>();
  const p = await until('badcmd', 'failed start, restarted twice', (x) => {
    const s = x.status?.containerStatuses?.[0];
    if (s?.state?.waiting?.reason) reasons.add(s.state.waiting.reason);
    return (s?.restartCount ?? 0) >= 2 && !!s?.state?.waiting && s.state.waiting.reason !== 'ContainerCreating';
  }, 40_000);
  const s = p.status!.containerStatuses![0]!;
  assert.ok(reasons.has('RunContainerError') || reasons.has('CrashLoopBackOff'), [...reasons].join(','));
  // The runtime's own words reach the user, in the waiting message or the last terminated state.
  const said = `${s.state!.waiting!.message ?? ''} ${s.lastState?.terminated?.message ?? ''}`;
  assert.match(said, /nonexistent/, JSON.stringify(s));
  const failed = (await events('badcmd')).filter((e) => e.reason === 'Failed');
  assert.ok(failed.some((e) => e.type === 'Warning' && /nonexistent/.test(e.message ?? '')), JSON.stringify(failed.map((e) => e.message)));
  const h = await getPod('healthy');
  assert.equal(h.status!.phase, 'Running');
  assert.equal(h.status!.containerStatuses![0]!.restartCount, 0);
  assert.equal(h.status!.conditions!.find((k) => k.type === 'Ready')!.status, 'True');
});

test('a memory limit too small to start the container: the runtime\'s refusal is shown, other pods untouched', async () => {
  await until('healthy', 'Running', (p) => p.status?.phase === 'Running');
  await client.create(R.pods, pod('tiny-mem', [c({ resources: { limits: { memory: '8Ki' } } })]));
  const p = await until('tiny-mem', 'a waiting reason from a refused start', (x) => {
    const s = x.status?.containerStatuses?.[0];
    return !!s && (s.restartCount >= 1 || ['RunContainerError', 'CreateContainerError'].includes(s.state?.waiting?.reason ?? ''));
  }, 40_000);
  const s = p.status!.containerStatuses![0]!;
  assert.ok(!s.state?.running, JSON.stringify(s));
  // containerd: "unable to set memory limit to 8192 (current usage: …)"; dockerd: "Minimum memory limit allowed is 6MB".
  assert.match(s.state?.waiting?.message ?? s.lastState?.terminated?.message ?? '', /memory limit/i, JSON.stringify(s));
  const failed = (await events('tiny-mem')).filter((e) => e.reason === 'Failed' && e.type === 'Warning');
  assert.ok(failed.some((e) => /memory limit/i.test(e.message ?? '')), JSON.stringify(failed.map((e) => e.message)));
  const h = await getPod('healthy');
  assert.equal(h.status!.containerStatuses![0]!.restartCount, 0);
  assert.equal(h.status!.phase, 'Running');
});
