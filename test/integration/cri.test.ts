// CRI over gRPC against a real containerd (started privately by cri-containerd.ts): version,
// image pull and status, a sandbox that gets its IP from CNI, a container that runs and answers
// ExecSync, stop/remove cleanup. Needs root, containerd, runc and the CNI plugins.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestContainerd, type TestContainerd } from './cri-containerd.js';
import type { PodSandboxConfigIn } from '../../agent/cri/types.js';

let ctr: TestContainerd;
const uid = 'c1a7e5f0-0000-4000-8000-000000000001';
let sandboxConfig: PodSandboxConfigIn;
let sandboxId = '';
let containerId = '';

before(async () => {
  ctr = await startTestContainerd();
  sandboxConfig = {
    metadata: { name: 'cri-test', namespace: 'default', uid, attempt: 0 },
    hostname: 'cri-test',
    log_directory: `${ctr.dir}/logs/pods/default_cri-test_${uid}`,
    dns_config: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
    labels: { 'io.kubernetes.pod.name': 'cri-test', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid },
    linux: { cgroup_parent: `${ctr.cgroupRoot}/pod${uid}`, security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
});

after(async () => { await ctr?.stop(); });

test('Version answers as containerd', async () => {
  const v = await ctr.cri.version();
  assert.equal(v.runtime_name, 'containerd');
  assert.equal(v.runtime_api_version, 'v1');
  const st = await ctr.cri.status();
  assert.ok(st.status?.conditions.some((c) => c.type === 'RuntimeReady' && c.status));
});

test('PullImage then ImageStatus', async () => {
  assert.equal(await ctr.cri.imageStatus({ image: 'docker.io/library/busybox:latest' }), null);
  const ref = await ctr.cri.pullImage({ image: 'busybox' });
  assert.match(ref, /^sha256:[0-9a-f]{64}$/);
  const img = await ctr.cri.imageStatus({ image: 'busybox' });
  assert.ok(img, 'image present after pull');
  assert.equal(img.id, ref);
  assert.ok(img.repo_tags.includes('docker.io/library/busybox:latest'));
  await assert.rejects(ctr.cri.pullImage({ image: 'docker.io/library/nonexistent:1' }));
});

test('RunPodSandbox gets an IP from CNI', async () => {
  sandboxId = await ctr.cri.runPodSandbox(sandboxConfig);
  const st = await ctr.cri.podSandboxStatus(sandboxId);
  assert.equal(st.status?.state, 'SANDBOX_READY');
  assert.match(st.status?.network?.ip ?? '', /^10\.244\.250\.\d+$/);
  assert.equal(st.status?.metadata?.uid, uid);
  const list = await ctr.cri.listPodSandbox({ label_selector: { 'io.kubernetes.pod.uid': uid } });
  assert.deepEqual(list.map((s) => s.id), [sandboxId]);
});

test('CreateContainer + StartContainer → RUNNING, ExecSync works', async () => {
  containerId = await ctr.cri.createContainer(sandboxId, {
    metadata: { name: 'main', attempt: 0 },
    image: { image: 'busybox' },
    command: ['sh', '-c'], args: ['echo started; exec sleep 3600'],
    envs: [{ key: 'GREETING', value: 'hello' }],
    labels: { 'io.kubernetes.container.name': 'main' },
    log_path: 'main/0.log',
  }, sandboxConfig);
  await ctr.cri.startContainer(containerId);
  const st = await ctr.cri.containerStatus(containerId);
  assert.equal(st.status?.state, 'CONTAINER_RUNNING');
  assert.ok(BigInt(st.status?.started_at ?? '0') > 0n);
  const ex = await ctr.cri.execSync(containerId, ['sh', '-c', 'echo $GREETING; hostname; cat /etc/resolv.conf'], 10);
  assert.equal(ex.exit_code, 0);
  const out = Buffer.from(ex.stdout).toString();
  assert.match(out, /^hello\ncri-test\n/);
  assert.match(out, /nameserver 10\.96\.0\.10/);
  assert.match(out, /options ndots:5/);
  const fail = await ctr.cri.execSync(containerId, ['sh', '-c', 'exit 3'], 10);
  assert.equal(fail.exit_code, 3);
  const cs = await ctr.cri.listContainers({ pod_sandbox_id: sandboxId });
  assert.deepEqual(cs.map((c) => [c.id, c.state]), [[containerId, 'CONTAINER_RUNNING']]);
});

test('StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox clean up', async () => {
  await ctr.cri.stopContainer(containerId, 0);
  const st = await ctr.cri.containerStatus(containerId);
  assert.equal(st.status?.state, 'CONTAINER_EXITED');
  await ctr.cri.removeContainer(containerId);
  await assert.rejects(ctr.cri.containerStatus(containerId), /NOT_FOUND|not found/i);
  await ctr.cri.stopPodSandbox(sandboxId);
  await ctr.cri.stopPodSandbox(sandboxId); // idempotent
  await ctr.cri.removePodSandbox(sandboxId);
  assert.deepEqual(await ctr.cri.listPodSandbox(), []);
  assert.deepEqual(await ctr.cri.listContainers(), []);
});
