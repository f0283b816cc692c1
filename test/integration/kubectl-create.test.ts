// kubectl's imperative creates, which send protobuf bodies (application/vnd.kubernetes.protobuf)
// with fieldValidation=Strict: every one lands in the store as the object the user asked for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, kubectl, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

const k = (...args: string[]) => kubectl(srv.kubeconfig, args);
async function created(args: string[], kind: string, name: string): Promise<Record<string, any>> {
  const r = await k('create', ...args);
  assert.equal(r.code, 0, `kubectl create ${args.join(' ')}: ${r.stderr}`);
  const get = await k('get', kind, name, '-o', 'json');
  assert.equal(get.code, 0, get.stderr);
  return JSON.parse(get.stdout);
}

test('kubectl create configmap and secret generic', async () => {
  const cm = await created(['configmap', 'settings', '--from-literal=mode=blue', '--from-literal=size=3'], 'configmap', 'settings');
  assert.deepEqual(cm.data, { mode: 'blue', size: '3' });
  const s = await created(['secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=pw=s3cr3t'], 'secret', 'creds');
  assert.equal(Buffer.from(s.data.pw, 'base64').toString(), 's3cr3t');
  assert.equal(s.type, 'Opaque');
});

test('kubectl create deployment', async () => {
  const d = await created(['deployment', 'web', '--image=nginx', '--replicas=3', '--port=80'], 'deployment', 'web');
  assert.equal(d.spec.replicas, 3);
  assert.deepEqual(d.spec.selector.matchLabels, { app: 'web' });
  assert.equal(d.spec.template.spec.containers[0].image, 'nginx');
  assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
  const zero = await created(['deployment', 'idle', '--image=nginx', '--replicas=0'], 'deployment', 'idle');
  assert.equal(zero.spec.replicas, 0);
});

test('kubectl create service clusterip and nodeport', async () => {
  const s = await created(['service', 'clusterip', 'api', '--tcp=80:8080'], 'service', 'api');
  assert.equal(s.spec.type, 'ClusterIP');
  assert.match(s.spec.clusterIP, /^10\./);
  assert.deepEqual(s.spec.ports.map((p: Record<string, unknown>) => [p.port, p.targetPort, p.protocol]), [[80, 8080, 'TCP']]);
  const np = await created(['service', 'nodeport', 'edge', '--tcp=80:8080'], 'service', 'edge');
  assert.ok(np.spec.ports[0].nodePort >= 30000 && np.spec.ports[0].nodePort <= 32767, `nodePort ${np.spec.ports[0].nodePort}`);
});

test('kubectl create namespace, job and serviceaccount', async () => {
  const ns = await created(['namespace', 'team-a'], 'namespace', 'team-a');
  assert.equal(ns.status.phase, 'Active');
  const job = await created(['job', 'hello', '--image=busybox', '--', 'echo', 'hi'], 'job', 'hello');
  assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  await created(['serviceaccount', 'robot'], 'serviceaccount', 'robot');
});

test('a duplicate create is a 409 AlreadyExists, not a decoding error', async () => {
  await k('create', 'configmap', 'twice', '--from-literal=a=b');
  const r = await k('create', 'configmap', 'twice', '--from-literal=a=b');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /AlreadyExists|already exists/);
});
