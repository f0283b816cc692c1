// kubectl's everyday verbs against the lab (issue 3), as one suite run on each store backend
// (kubectl.test.ts: embedded SQLite; kubectl-etcd.test.ts: etcd): apply and an edited re-apply
// (three-way merge), get in its forms, get -w through a pod's life, explain, describe with
// events, patch in three forms, label, annotate, scale, delete, componentstatuses; on etcd,
// etcdctl shows the keys and a Secret's value encrypted (k8s:enc:aesgcm:v1:).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { kubectl, kubectlPath, repoRoot, waitFor } from '../helpers/server.js';
import { etcdctlTlsArgs, ETCD_ENDPOINT } from '../../scripts/lab/etcd.js';
import { labIsSecure, pkiDir } from '../../scripts/lab/secure.js';
import { pkiFiles } from '../../control/pki/layout.js';

const tskube = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const k = async (...args: string[]) => {
  const r = await kubectl(kubeconfig, args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const manifest = (v: string) => join(repoRoot, 'test/e2e/manifests', `web-${v}.yaml`);
const json = async (...args: string[]) => JSON.parse(await k(...args, '-o', 'json'));

export function kubectlSuite(storage: 'sqlite' | 'etcd'): void {
before(() => {
  assert.equal(tskube('lab', 'down').status, 0);
  const up = tskube('lab', 'up', '--storage', storage);
  assert.equal(up.status, 0, up.stdout + up.stderr);
});
after(() => { tskube('lab', 'down'); });

test('apply creates; an edited re-apply changes exactly what changed, keeping others\' edits', async () => {
  await waitFor('3 Ready nodes', async () => (await k('get', 'nodes', '--no-headers')).split('\n').filter((l) => / Ready /.test(l)).length === 3, 60_000);
  assert.match(await k('apply', '-f', manifest('v1')), /deployment.apps\/web created\nconfigmap\/web-config created/);
  // Someone else's change between the two applies: it must survive the re-apply.
  await k('annotate', 'deployment/web', 'owner=ops');
  assert.match(await k('apply', '-f', manifest('v2')), /deployment.apps\/web configured\nconfigmap\/web-config configured/);
  const d = await json('get', 'deployment', 'web');
  assert.equal(d.spec.replicas, 3);
  assert.equal(d.metadata.labels.tier, 'front');
  assert.equal(d.metadata.annotations.owner, 'ops');
  assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'two' }, { name: 'KEEP', value: 'kept' }]);
  assert.deepEqual(d.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.equal(d.metadata.generation, 2 + 0, 'spec changed once by the re-apply (annotate does not bump generation)');
  const cm = await json('get', 'configmap', 'web-config');
  assert.deepEqual(cm.data, { color: 'green' }, 'a key removed from the manifest is removed');
  assert.match(await k('apply', '-f', manifest('v2')), /deployment.apps\/web unchanged\nconfigmap\/web-config unchanged/);
  await waitFor('3 web pods Running', async () => (await k('get', 'pods', '-l', 'app=web', '--no-headers')).split('\n').filter((l) => / Running /.test(l)).length === 3, 90_000, 250);
  await waitFor('observedGeneration caught up', async () => { const x = await json('get', 'deployment', 'web'); return x.status.observedGeneration === x.metadata.generation; });
});

test('get: -o wide, -o yaml, -A, --show-labels, -l', async () => {
  const wide = await k('get', 'pods', '-o', 'wide', '-l', 'app=web');
  assert.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
  assert.match(wide, /web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+worker-[12]/);
  const yaml = await k('get', 'deployment', 'web', '-o', 'yaml');
  assert.match(yaml, /^apiVersion: apps\/v1\nkind: Deployment\n/);
  assert.match(yaml, /kubectl.kubernetes.io\/last-applied-configuration/);
  const all = await k('get', 'pods', '-A');
  assert.match(all, /^NAMESPACE\s+NAME\s+READY\s+STATUS/);
  assert.match(all, /\ndefault\s+web-/);
  assert.match(await k('get', 'deployment', 'web', '--show-labels'), /LABELS\n.*app=web,tier=front/);
  assert.equal((await k('get', 'pods', '-l', 'app=nothing', '-o', 'name')).trim(), '');
  assert.match(await k('get', 'nodes'), /master\s+Ready\s+control-plane/);
});

test('get -w shows a pod go Pending → ContainerCreating → Running → Terminating', async () => {
  // The pod waits for a node label, so the watch surely sees it Pending first.
  await kubectl(kubeconfig, ['run', 'life', '--image=nginx', '--restart=Never', '--overrides', '{"spec":{"nodeSelector":{"e2e-life":"yes"}}}']);
  const watcher = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'get', 'pods', '-w', '--field-selector', 'metadata.name=life']);
  let out = '';
  watcher.stdout.on('data', (d) => { out += d; });
  try {
    await waitFor('Pending in the watch', () => / Pending /.test(out), 20_000, 50);
    await k('label', 'node', 'worker-1', 'e2e-life=yes');
    await waitFor('pod Running in the watch', () => / Running /.test(out), 60_000, 100);
    await k('delete', 'pod', 'life', '--wait=false');
    await waitFor('Terminating in the watch', () => / Terminating /.test(out), 30_000, 100);
  } finally {
    watcher.kill();
    await kubectl(kubeconfig, ['label', 'node', 'worker-1', 'e2e-life-']);
  }
  const states = out.split('\n').map((l) => l.split(/\s+/)[2]).filter(Boolean).filter((s, i, a) => s !== 'STATUS' && s !== a[i - 1]);
  const order = ['Pending', 'ContainerCreating', 'Running', 'Terminating'];
  const positions = order.map((s) => states.indexOf(s));
  assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `watch printed ${states.join(' → ')}`);
});

test('explain answers from the served OpenAPI', async () => {
  const out = await k('explain', 'pod.spec.containers');
  assert.match(out, /KIND:\s+Pod/);
  assert.match(out, /FIELD:\s+containers <\[\]Container>/);
  assert.match(out, /image\s+<string>/);
});

test('describe shows the pod\'s events from the scheduler and kubelet', async () => {
  const pod = (await k('get', 'pods', '-l', 'app=web', '-o', 'name')).split('\n')[0]!;
  const d = await k('describe', pod);
  assert.match(d, /Events:/);
  assert.match(d, /Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web-\S+ to worker-[12]/);
  assert.match(d, /Started\s+\S+\s+kubelet/);
});

test('patch (strategic, merge, json), label, annotate, scale, delete', async () => {
  await k('patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"EXTRA","value":"x"}]}]}}}}');
  let d = await json('get', 'deployment', 'web');
  // Strategic merge: merged by name, a new item appended (upstream's documented result).
  assert.deepEqual(d.spec.template.spec.containers[0].env.map((e: any) => e.name), ['MODE', 'KEEP', 'EXTRA']);
  await k('patch', 'configmap', 'web-config', '--type=merge', '-p', '{"data":{"shape":"round"}}');
  await k('patch', 'configmap', 'web-config', '--type=json', '-p', '[{"op":"remove","path":"/data/color"}]');
  assert.deepEqual((await json('get', 'configmap', 'web-config')).data, { shape: 'round' });
  await k('label', 'configmap', 'web-config', 'stage=test');
  await k('annotate', 'configmap', 'web-config', 'note=hello');
  const cm = await json('get', 'configmap', 'web-config');
  assert.equal(cm.metadata.labels.stage, 'test');
  assert.equal(cm.metadata.annotations.note, 'hello');
  await k('label', 'configmap', 'web-config', 'stage-');
  assert.equal((await json('get', 'configmap', 'web-config')).metadata.labels?.stage, undefined);
  await k('scale', 'deployment/web', '--replicas=1');
  d = await json('get', 'deployment', 'web');
  assert.equal(d.spec.replicas, 1);
  const del = await k('delete', '-f', manifest('v2'));
  assert.match(del, /deployment.apps "web" deleted/);
  await waitFor('web pods gone', async () => (await k('get', 'pods', '-l', 'app=web', '-o', 'name')).trim() === '', 90_000, 250);
  const gone = await kubectl(kubeconfig, ['get', 'deployment', 'web']);
  assert.match(gone.stderr, /not found/);
});

test('get componentstatuses: every component Healthy, the store included', async () => {
  const cs = await waitFor('every component Healthy', async () => {
    const r = await kubectl(kubeconfig, ['get', 'componentstatuses', '--no-headers']);
    const rows = r.stdout.trim().split('\n').filter(Boolean);
    return r.code === 0 && rows.length >= 3 && rows.every((l) => /^\S+\s+Healthy\s/.test(l)) && r.stdout;
  }, 30_000, 500);
  for (const name of ['scheduler', 'controller-manager', storage === 'etcd' ? 'etcd-0' : 'sqlite-0']) assert.match(cs, new RegExp(`^${name}\\s+Healthy`, 'm'));
});

if (storage === 'etcd') {
  // The secure lab's etcd wants TLS with a client certificate of its own CA.
  const etcdTls = () => etcdctlTlsArgs(labIsSecure() ? pkiFiles(pkiDir) : undefined);
  const etcdctl = (...args: string[]) => {
    const tls = etcdTls();
    return spawnSync('etcdctl', ['--endpoints', `${tls.length ? 'https' : 'http'}://${ETCD_ENDPOINT}`, ...tls, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  };

  test('etcdctl shows the objects under /registry/<resource>/<namespace>/<name>', async () => {
    await k('create', 'configmap', 'seen-in-etcd', '--from-literal=a=b');
    const plain = spawnSync('etcdctl', ['--endpoints', `http://${ETCD_ENDPOINT}`, '--dial-timeout', '2s', '--command-timeout', '3s', 'get', '/registry/configmaps/default', '--prefix', '--keys-only'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    if (etcdTls().length) assert.notEqual(plain.status, 0, 'etcd refuses a client without a certificate');
    const r = etcdctl('get', '/registry/configmaps/default', '--prefix', '--keys-only');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\/registry\/configmaps\/default\/seen-in-etcd$/m);
    const v = etcdctl('get', '/registry/configmaps/default/seen-in-etcd', '--print-value-only');
    assert.equal(JSON.parse(v.stdout).data.a, 'b');
  });

  test('a Secret is stored encrypted in etcd (k8s:enc:aesgcm:v1:) and read back in the clear through the API', { skip: !labIsSecure() && 'the insecure lab runs without --encryption-provider-config' }, async () => {
    await k('create', 'secret', 'generic', 'sealed', '--from-literal=password=hunter2-e2e');
    const r = etcdctl('get', '/registry/secrets/default/sealed', '--print-value-only');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith('k8s:enc:aesgcm:v1:'), `stored value starts ${JSON.stringify(r.stdout.slice(0, 24))}`);
    assert.ok(!r.stdout.includes('hunter2-e2e') && !r.stdout.includes(Buffer.from('hunter2-e2e').toString('base64')), 'no plaintext in etcd');
    assert.equal(Buffer.from(await k('get', 'secret', 'sealed', '-o', 'jsonpath={.data.password}'), 'base64').toString(), 'hunter2-e2e');
  });
}
}
