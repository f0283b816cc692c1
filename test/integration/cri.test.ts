// One CRI suite over gRPC, run against both runtimes the kubelet can use: a private containerd
// (cri-containerd.ts) and a private dockerd behind our dockershim (cri-docker.ts). Pull/status,
// a sandbox IP from CNI shared by its containers (and their localhost), ExecSync, logs read by
// the kubelet's log reader, stats, OOMKilled, errors for missing images and bad specs, cleanup.
// Needs root, containerd, dockerd, runc and the CNI plugins. Per-step timings go to stderr.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestContainerd, type TestContainerd } from './cri-containerd.js';
import { startTestDocker, type TestDocker } from './cri-docker.js';
import { waitFor } from './cri-kubelet-stack.js';
import { CriLogParser } from '../../agent/kubelet/server/logs.js';
import type { ContainerConfigIn, PodSandboxConfigIn } from '../../agent/cri/types.js';

const withHub = (t: string) => (t.includes('/') ? (t.split('/')[0]!.includes('.') ? t : `docker.io/${t}`) : `docker.io/library/${t}`);

function suite(runtime: string, start: () => Promise<TestContainerd>, uid: string, subnet: RegExp): void {
  describe(`CRI on ${runtime}`, () => {
    let ctr: TestContainerd;
    let sandboxConfig: PodSandboxConfigIn;
    let sandboxId = '', mainId = '', sideId = '', podIp = '';
    const timings: Record<string, number[]> = {};
    const timed = async <T>(step: string, p: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try { return await p(); } finally { (timings[step] ??= []).push(Math.round((performance.now() - t0) * 10) / 10); }
    };
    const container = (name: string, extra: Partial<ContainerConfigIn>): ContainerConfigIn => ({
      metadata: { name, attempt: 0 }, image: { image: 'busybox' }, labels: { 'io.kubernetes.container.name': name }, log_path: `${name}/0.log`, ...extra,
    });
    const run = async (cfg: ContainerConfigIn) => {
      const id = await timed('CreateContainer', () => ctr.cri.createContainer(sandboxId, cfg, sandboxConfig));
      await timed('StartContainer', () => ctr.cri.startContainer(id));
      return id;
    };
    const out = async (id: string, cmd: string) => {
      const r = await ctr.cri.execSync(id, ['sh', '-c', cmd], 10);
      return { code: r.exit_code, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
    };

    before(async () => {
      ctr = await start();
      sandboxConfig = {
        metadata: { name: 'cri-test', namespace: 'default', uid, attempt: 0 },
        hostname: 'cri-test',
        log_directory: `${ctr.dir}/logs/pods/default_cri-test_${uid}`,
        dns_config: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
        labels: { 'io.kubernetes.pod.name': 'cri-test', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid },
        annotations: { 'kubernetes.io/config.source': 'api' },
        linux: { cgroup_parent: `${ctr.cgroupRoot}/pod${uid}`, security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
      };
    });

    after(async () => {
      process.stderr.write(`# ${runtime} timings ms: ${JSON.stringify(timings)}\n`);
      await ctr?.stop();
    });

    test('Version and Status', async () => {
      const v = await ctr.cri.version();
      assert.equal(v.runtime_name, runtime);
      assert.equal(v.runtime_api_version, 'v1');
      assert.ok(v.runtime_version);
      const st = await ctr.cri.status();
      for (const type of ['RuntimeReady', 'NetworkReady']) assert.ok(st.status?.conditions.some((c) => c.type === type && c.status), type);
    });

    test('PullImage then ImageStatus; a missing image fails the pull', async () => {
      assert.equal(await ctr.cri.imageStatus({ image: 'docker.io/library/busybox:latest' }), null);
      const ref = await timed('PullImage', () => ctr.cri.pullImage({ image: 'busybox' }));
      assert.match(ref, /^sha256:[0-9a-f]{64}$/);
      const img = await ctr.cri.imageStatus({ image: 'busybox' });
      assert.ok(img, 'image present after pull');
      assert.equal(img.id, ref);
      assert.ok(img.repo_tags.map(withHub).includes('docker.io/library/busybox:latest'), JSON.stringify(img.repo_tags));
      assert.ok((await ctr.cri.listImages()).some((i) => i.id === ref));
      await assert.rejects(ctr.cri.pullImage({ image: 'docker.io/library/nonexistent:1' }));
      assert.equal(await ctr.cri.imageStatus({ image: 'docker.io/library/nonexistent:1' }), null);
    });

    test('RunPodSandbox gets an IP from CNI', async () => {
      sandboxId = await timed('RunPodSandbox', () => ctr.cri.runPodSandbox(sandboxConfig));
      const st = await ctr.cri.podSandboxStatus(sandboxId);
      assert.equal(st.status?.state, 'SANDBOX_READY');
      podIp = st.status?.network?.ip ?? '';
      assert.match(podIp, subnet);
      assert.equal(st.status?.metadata?.uid, uid);
      assert.equal(st.status?.annotations['kubernetes.io/config.source'], 'api');
      const list = await ctr.cri.listPodSandbox({ label_selector: { 'io.kubernetes.pod.uid': uid } });
      assert.deepEqual(list.map((s) => s.id), [sandboxId]);
      assert.deepEqual(await ctr.cri.listPodSandbox({ label_selector: { 'io.kubernetes.pod.uid': 'other' } }), []);
    });

    test('containers run, share the sandbox IP and localhost, answer ExecSync', async () => {
      mainId = await run(container('main', {
        command: ['sh', '-c'], args: ['echo started; echo oops >&2; mkdir -p /tmp/www; echo hello-from-main > /tmp/www/index.html; exec httpd -f -p 8080 -h /tmp/www'],
        envs: [{ key: 'GREETING', value: 'hello' }],
      }));
      sideId = await run(container('side', { command: ['sleep', '3600'] }));
      const st = await ctr.cri.containerStatus(mainId);
      assert.equal(st.status?.state, 'CONTAINER_RUNNING');
      assert.ok(BigInt(st.status?.started_at ?? '0') > 0n);
      assert.equal(st.status?.metadata?.name, 'main');
      assert.match(st.status?.image_ref ?? '', /sha256:[0-9a-f]{64}/);
      const ex = await out(mainId, 'echo $GREETING; hostname; cat /etc/resolv.conf');
      assert.equal(ex.code, 0);
      assert.match(ex.out, /^hello\ncri-test\n/);
      assert.match(ex.out, /nameserver 10\.96\.0\.10/);
      assert.match(ex.out, /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
      assert.match(ex.out, /options ndots:5/);
      assert.equal((await out(mainId, 'exit 3')).code, 3);
      const err = await out(mainId, 'echo to-stderr >&2');
      assert.equal(err.err, 'to-stderr\n');
      for (const id of [mainId, sideId]) assert.match((await out(id, 'ip -4 -o addr show eth0')).out, new RegExp(`inet ${podIp.replace(/\./g, '\\.')}/`));
      const got = await waitFor('main answering on localhost', async () => { const r = await out(sideId, 'wget -qO- http://127.0.0.1:8080/'); return r.code === 0 && r.out; });
      assert.equal(got, 'hello-from-main\n');
      const cs = await ctr.cri.listContainers({ pod_sandbox_id: sandboxId });
      assert.deepEqual(cs.map((c) => c.id).sort(), [mainId, sideId].sort());
      assert.deepEqual((await ctr.cri.listContainers({ label_selector: { 'io.kubernetes.container.name': 'side' } })).map((c) => c.id), [sideId]);
      assert.deepEqual((await ctr.cri.listContainers({ id: mainId, state: { state: 'CONTAINER_RUNNING' } })).map((c) => c.id), [mainId]);
    });

    test('the log file at log_path reads as the container output, stdout and stderr', async () => {
      const st = await ctr.cri.containerStatus(mainId);
      assert.equal(st.status?.log_path, `${sandboxConfig.log_directory}/main/0.log`);
      const lines = await waitFor('log lines', async () => {
        const parsed = new CriLogParser().push(readFileSync(st.status!.log_path, 'utf8'));
        return parsed.length >= 2 && parsed;
      });
      assert.deepEqual(lines.map((l) => l.text).sort(), ['oops\n', 'started\n']);
      assert.ok(lines.every((l) => Math.abs(l.ms - Date.now()) < 60_000), 'timestamps are recent');
    });

    test('ContainerStats and ListContainerStats report cpu, memory and the writable layer', async () => {
      const stats = await waitFor('stats with cpu and memory', async () => {
        const s = await ctr.cri.listContainerStats({ pod_sandbox_id: sandboxId });
        return s.length === 2 && s.every((x) => Number(x.cpu?.usage_core_nano_seconds?.value ?? 0) > 0 && Number(x.memory?.working_set_bytes?.value ?? 0) > 0) && s;
      });
      assert.deepEqual(stats.map((s) => s.attributes?.id).sort(), [mainId, sideId].sort());
      const one = await ctr.cri.containerStats(mainId);
      assert.equal(one?.attributes?.metadata?.name, 'main');
      assert.ok(one?.writable_layer, 'writable layer reported');
      assert.ok(Number(one.memory?.usage_bytes?.value ?? 0) > 0);
    });

    test('a container over its memory limit ends OOMKilled', async () => {
      const id = await run(container('hog', {
        command: ['sh', '-c', 'tail /dev/zero'],
        linux: { resources: { memory_limit_in_bytes: 16 << 20, memory_swap_limit_in_bytes: 16 << 20 } },
      }));
      const st = await waitFor('hog exited', async () => { const s = (await ctr.cri.containerStatus(id)).status; return s?.state === 'CONTAINER_EXITED' && s; }, 30_000);
      assert.equal(st.reason, 'OOMKilled');
      assert.equal(st.exit_code, 137);
      assert.ok(BigInt(st.finished_at) >= BigInt(st.started_at));
      await ctr.cri.removeContainer(id);
    });

    test('bad input is an error, not a crash: unknown sandbox, missing image, a command that cannot run', async () => {
      await assert.rejects(ctr.cri.createContainer('0123456789ab', container('x', {}), sandboxConfig), /NOT_FOUND|not found/i);
      await assert.rejects(ctr.cri.containerStatus('0123456789abcdef'), /NOT_FOUND|not found/i);
      await assert.rejects(run(container('noimg', { image: { image: 'docker.io/library/never-pulled:1' } })), /not found|no such image|NOT_FOUND/i);
      let badId = '';
      await assert.rejects((async () => {
        badId = await ctr.cri.createContainer(sandboxId, container('bad', { command: ['/no/such/binary'] }), sandboxConfig);
        await ctr.cri.startContainer(badId);
      })(), /no such file|not found|executable/i);
      if (badId) await ctr.cri.removeContainer(badId);
      // A spec the runtime refuses: the error carries the runtime's own reason.
      await assert.rejects(run(container('tiny', { linux: { resources: { memory_limit_in_bytes: 1000 } } })),
        runtime === 'docker' ? /Minimum memory limit allowed is 6MB/ : /memory|invalid|device or resource busy/i);
      assert.equal((await ctr.cri.version()).runtime_name, runtime, 'still serving');
    });

    test('a restarted dockershim still knows its sandboxes, their IPs and containers', { skip: runtime !== 'docker' && 'dockershim only' }, async () => {
      await (ctr as TestDocker).restartShim();
      const st = await ctr.cri.podSandboxStatus(sandboxId);
      assert.equal(st.status?.state, 'SANDBOX_READY');
      assert.equal(st.status?.network?.ip, podIp);
      assert.equal((await ctr.cri.containerStatus(mainId)).status?.state, 'CONTAINER_RUNNING');
      assert.equal((await out(mainId, 'echo alive')).out, 'alive\n');
    });

    test('Stop/Remove containers and sandbox clean up, idempotently', async () => {
      await ctr.cri.stopContainer(sideId, 0);
      assert.equal((await ctr.cri.containerStatus(sideId)).status?.state, 'CONTAINER_EXITED');
      await ctr.cri.removeContainer(sideId);
      await assert.rejects(ctr.cri.containerStatus(sideId), /NOT_FOUND|not found/i);
      assert.ok(existsSync(join(ctr.dir, 'ipam', 'tskube', podIp)), 'host-local holds the pod IP');
      await ctr.cri.stopPodSandbox(sandboxId);
      assert.equal((await ctr.cri.podSandboxStatus(sandboxId)).status?.state, 'SANDBOX_NOTREADY');
      assert.ok(!existsSync(join(ctr.dir, 'ipam', 'tskube', podIp)), 'CNI DEL gave the pod IP back');
      assert.equal((await ctr.cri.containerStatus(mainId)).status?.state, 'CONTAINER_EXITED');
      await ctr.cri.stopPodSandbox(sandboxId); // idempotent
      await timed('RemovePodSandbox', () => ctr.cri.removePodSandbox(sandboxId));
      await ctr.cri.removePodSandbox(sandboxId); // idempotent
      assert.deepEqual(await ctr.cri.listPodSandbox(), []);
      assert.deepEqual(await ctr.cri.listContainers(), []);
      // The IP went back to host-local: the next sandbox may reuse the range.
      const again = await timed('RunPodSandbox', () => ctr.cri.runPodSandbox({ ...sandboxConfig, metadata: { ...sandboxConfig.metadata, attempt: 1 } }));
      assert.match((await ctr.cri.podSandboxStatus(again)).status?.network?.ip ?? '', subnet);
      await ctr.cri.stopPodSandbox(again);
      await ctr.cri.removePodSandbox(again);
    });
  });
}

suite('containerd', () => startTestContainerd(), 'c1a7e5f0-0000-4000-8000-000000000001', /^10\.244\.250\.\d+$/);
suite('docker', () => startTestDocker(), 'c1a7e5f0-0000-4000-8000-000000000002', /^10\.244\.249\.\d+$/);
