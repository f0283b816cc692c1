// dockershim's pure parts: docker names and labels ↔ CRI metadata/labels/annotations, time
// conversion, the create body built from a CRI ContainerConfig, docker state → CRI state and
// reason, resolv.conf from dns_config; and the kubelet's log reader on docker json-file lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CriLogParser } from '../../agent/kubelet/server/logs.js';
import { bindOf, createOptions, stateOf } from '../../agent/cri/dockershim/container.js';
import { normalizeRef, withDefaultTag } from '../../agent/cri/dockershim/image.js';
import { containerName, fromDockerLabels, parseName, sandboxName, toDockerLabels, toNanos } from '../../agent/cri/dockershim/labels.js';
import { resolvConf } from '../../agent/cri/dockershim/sandbox.js';
import { resultIp } from '../../agent/cri/dockershim/cni.js';
import { exitStatus } from '../../agent/cri/dockershim/streaming.js';

const pod = { name: 'web', namespace: 'default', uid: '1234-abcd', attempt: 2 };

test('docker json-file log lines: whole lines, partial records joined, CRI lines still read', () => {
  const p = new CriLogParser();
  const a = p.push('{"log":"hel","stream":"stdout","time":"2024-01-01T00:00:00.1Z"}\n{"log":"lo\\n","stream":"stdout","time":"2024-01-01T00:00:00.2Z"}\n');
  assert.deepEqual(a.map((x) => [x.ts, x.text]), [['2024-01-01T00:00:00.2Z', 'hello\n']]);
  const b = p.push('{"log":"oops \\"quoted\\"\\n","stream":"stderr","time":"2024-01-01T00:00:01.123456789Z"}\n{"log":"cut');
  assert.deepEqual(b.map((x) => x.text), ['oops "quoted"\n']);
  assert.equal(b[0]!.ms, Date.parse('2024-01-01T00:00:01.123Z'));
  const c = p.push(' here\\n","stream":"stdout","time":"2024-01-01T00:00:02Z"}\n2024-01-01T00:00:03Z stdout F cri line\nnot a log line\n');
  assert.deepEqual(c.map((x) => x.text), ['cut here\n', 'cri line\n']);
});

test('names carry CRI metadata; annotations ride in labels and come back', () => {
  assert.equal(sandboxName(pod), 'k8s_POD_web_default_1234-abcd_2');
  const n = containerName({ name: 'main', attempt: 3 }, pod);
  assert.equal(n, 'k8s_main_web_default_1234-abcd_3');
  assert.deepEqual(parseName('/' + n), { container: { name: 'main', attempt: 3 }, pod: { ...pod, attempt: 3 } });
  assert.equal(parseName('/some_other'), undefined);
  const d = toDockerLabels({ app: 'web' }, { 'kubernetes.io/config.seen': 'x' }, { 'io.kubernetes.docker.type': 'container' });
  assert.deepEqual(d, { app: 'web', 'annotation.kubernetes.io/config.seen': 'x', 'io.kubernetes.docker.type': 'container' });
  assert.deepEqual(fromDockerLabels(d), { labels: { app: 'web' }, annotations: { 'kubernetes.io/config.seen': 'x' } });
});

test('docker times → CRI nanoseconds', () => {
  assert.equal(toNanos('2024-01-01T00:00:01.123456789Z'), '1704067201123456789');
  assert.equal(toNanos('2024-01-01T00:00:01Z'), '1704067201000000000');
  assert.equal(toNanos('0001-01-01T00:00:00Z'), '0');
  assert.equal(toNanos(1704067201), '1704067201000000000');
});

test('a CRI ContainerConfig becomes docker create options', () => {
  const o = createOptions('sb1', {
    metadata: { name: 'main', attempt: 1 }, image: { image: 'busybox' }, command: ['sh', '-c'], args: ['echo hi'],
    envs: [{ key: 'A', value: '1' }], working_dir: '/w', log_path: 'main/1.log', tty: true,
    mounts: [{ host_path: '/h', container_path: '/c', readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }],
    linux: { resources: { cpu_shares: 512, cpu_quota: 50000, cpu_period: 100000, memory_limit_in_bytes: 1 << 24, oom_score_adj: 999 },
      security_context: { namespace_options: { pid: 'POD' }, run_as_user: { value: 1000 }, run_as_group: { value: 3000 } } },
  }, { metadata: pod, log_directory: '/var/log/pods/x', linux: { cgroup_parent: '/kubepods/pod1' } });
  assert.equal(o.name, 'k8s_main_web_default_1234-abcd_1');
  assert.deepEqual([o.Entrypoint, o.Cmd, o.Env, o.WorkingDir, o.User, o.Tty], [['sh', '-c'], ['echo hi'], ['A=1'], '/w', '1000:3000', true]);
  const hc = o.HostConfig!;
  assert.deepEqual([hc.NetworkMode, hc.IpcMode, hc.PidMode, hc.CgroupParent], ['container:sb1', 'container:sb1', 'container:sb1', '/kubepods/pod1']);
  assert.deepEqual([hc.CpuShares, hc.CpuQuota, hc.CpuPeriod, hc.Memory, hc.MemorySwap], [512, 50000, 100000, 1 << 24, 1 << 24]);
  assert.equal(hc.OomScoreAdj, undefined, 'oom_score_adj is never set (no CAP_SYS_RESOURCE)');
  assert.deepEqual(hc.Binds, ['/h:/c:ro,rslave']);
  assert.equal(o.Labels!['io.kubernetes.container.logpath'], '/var/log/pods/x/main/1.log');
  assert.equal(o.Labels!['io.kubernetes.sandbox.id'], 'sb1');
  const noCmd = createOptions('sb1', { metadata: { name: 'a' }, image: { image: 'x' } }, { metadata: pod });
  assert.ok(!('Entrypoint' in noCmd) && !('Cmd' in noCmd), 'the image entrypoint and cmd stay');
  assert.equal(bindOf({ host_path: '/a', container_path: '/b' }), '/a:/b');
});

test('docker state → CRI state and reason', () => {
  const base = { Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '',
    StartedAt: '2024-01-01T00:00:00Z', FinishedAt: '2024-01-01T00:00:01Z' };
  assert.equal(stateOf({ ...base, Running: true, Status: 'running' }).state, 'CONTAINER_RUNNING');
  assert.deepEqual(stateOf(base), { state: 'CONTAINER_EXITED', reason: 'Completed', message: '' });
  assert.equal(stateOf({ ...base, ExitCode: 2 }).reason, 'Error');
  assert.equal(stateOf({ ...base, ExitCode: 137, OOMKilled: true }).reason, 'OOMKilled');
  assert.equal(stateOf({ ...base, Status: 'created', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' }).state, 'CONTAINER_CREATED');
});

test('resolv.conf, image names, CNI results, exec exit status', () => {
  assert.equal(resolvConf({ servers: ['10.96.0.10'], searches: ['a.svc', 'svc'], options: ['ndots:5'] }),
    'nameserver 10.96.0.10\nsearch a.svc svc\noptions ndots:5\n');
  assert.equal(withDefaultTag('busybox'), 'busybox:latest');
  assert.equal(withDefaultTag('host:5000/x'), 'host:5000/x:latest');
  assert.equal(withDefaultTag('x@sha256:00'), 'x@sha256:00');
  assert.equal(normalizeRef('busybox:latest'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeRef('localhost:5000/a/b:1'), 'localhost:5000/a/b:1');
  assert.equal(resultIp({ ips: [{ address: '10.244.1.5/24' }] }), '10.244.1.5');
  assert.equal(resultIp({ ip4: { ip: '10.1.1.1/16' } }), '10.1.1.1');
  assert.deepEqual(JSON.parse(exitStatus(0, ['true'])), { metadata: {}, status: 'Success' });
  const f = JSON.parse(exitStatus(3, ['false'])) as { reason: string; details: { causes: { message: string }[] } };
  assert.equal(f.reason, 'NonZeroExitCode');
  assert.equal(f.details.causes[0]!.message, '3');
});
