// DeleteOptions.propagationPolicy end to end through the API server and the garbage
// collector: background (dependents go after), foreground (the owner waits for them), orphan
// (dependents stay, released from their owner).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, kubectl, waitFor, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => { srv = await startServer(['--disable', 'scheduler,dns']); });
after(async () => { await srv?.stop(); });

const k = async (...args: string[]) => {
  const r = await kubectl(srv.kubeconfig, args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const names = async (kind: string, sel: string) => (await k('get', kind, '-l', sel, '-o', 'name')).split('\n').filter(Boolean);

async function deploy(name: string): Promise<void> {
  await k('create', 'deployment', name, '--image=nginx', '--replicas=2');
  await waitFor(`${name}: 2 pods`, async () => (await names('pods', `app=${name}`)).length === 2, 20_000);
}

test('background (kubectl default): the Deployment goes at once, its ReplicaSet and pods after', async () => {
  await deploy('bg');
  await k('delete', 'deployment', 'bg');
  await waitFor('ReplicaSet and pods collected', async () => (await names('rs', 'app=bg')).length === 0 && (await names('pods', 'app=bg')).length === 0, 20_000);
});

test('orphan: the ReplicaSet and pods stay, no longer owned', async () => {
  await deploy('orph');
  await k('delete', 'deployment', 'orph', '--cascade=orphan');
  await waitFor('deployment gone', async () => (await kubectl(srv.kubeconfig, ['get', 'deployment', 'orph'])).code !== 0, 20_000);
  const rs = JSON.parse(await k('get', 'rs', '-l', 'app=orph', '-o', 'json')).items;
  assert.equal(rs.length, 1);
  await waitFor('ownerReferences removed', async () => {
    const cur = JSON.parse(await k('get', 'rs', '-l', 'app=orph', '-o', 'json')).items[0];
    return !(cur.metadata.ownerReferences ?? []).length;
  }, 20_000);
  assert.equal((await names('pods', 'app=orph')).length, 2);
});

test('foreground: the owner stays (with a deletionTimestamp) until its dependents are gone', async () => {
  await deploy('fg');
  // A finalizer of our own holds the ReplicaSet, so the owner's wait can be seen.
  const [rs] = await names('rs', 'app=fg');
  await k('patch', rs!, '--type=merge', '-p', '{"metadata":{"finalizers":["e2e.tskube.io/hold"]}}');
  const del = await kubectl(srv.kubeconfig, ['delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  const d = JSON.parse(await k('get', 'deployment', 'fg', '-o', 'json'));
  assert.ok(d.metadata.deletionTimestamp, 'owner marked for deletion');
  assert.ok(d.metadata.finalizers.includes('foregroundDeletion'));
  await k('patch', rs!, '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
  await waitFor('owner and dependents gone', async () => (await kubectl(srv.kubeconfig, ['get', 'deployment', 'fg'])).code !== 0
    && (await names('rs', 'app=fg')).length === 0 && (await names('pods', 'app=fg')).length === 0, 30_000);
});
