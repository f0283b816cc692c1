// Pod spec → CRI configs (sandbox DNS, labels, cgroup parent, ports; container env, $(VAR),
// resources), image pull policy defaults, and the agent's flag parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { configFromFlags, parseLabels, parseTaints } from '../../agent/agent.js';
import { defaultConfig } from '../../agent/kubelet/config.js';
import { pullPolicy } from '../../agent/kubelet/images/image-manager.js';
import { containerConfig, expandVars } from '../../agent/kubelet/kuberuntime/container-config.js';
import { sandboxConfig } from '../../agent/kubelet/kuberuntime/sandbox-config.js';
import { specChanged } from '../../agent/kubelet/kubelet.js';

const cfg = defaultConfig({ nodeName: 'worker-1', nodeIp: '192.168.56.11', server: 'http://x', runtimeEndpoint: 'unix:///x', rootDir: '/var/lib/k' });
const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-1', labels: { app: 'web' }, annotations: { a: 'b' } },
  spec: {
    nodeName: 'worker-1',
    containers: [{
      name: 'nginx', image: 'nginx', command: ['sh', '-c'], args: ['echo $(GREETING) $$(LITERAL) $(UNKNOWN)'],
      ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }],
      env: [
        { name: 'GREETING', value: 'hi' },
        { name: 'MSG', value: '$(GREETING) there' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      ],
      resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } },
    }],
  },
};

test('sandbox config: metadata, hostname, DNS always set, labels, cgroup parent, host ports', () => {
  const s = sandboxConfig(cfg, pod, 2);
  assert.deepEqual(s.metadata, { name: 'web-1', namespace: 'shop', uid: 'uid-1', attempt: 2 });
  assert.equal(s.hostname, 'web-1');
  assert.equal(s.log_directory, '/var/lib/k/logs/pods/shop_web-1_uid-1');
  assert.deepEqual(s.dns_config, { servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] });
  assert.equal(s.labels!['io.kubernetes.pod.uid'], 'uid-1');
  assert.equal(s.labels!.app, 'web');
  assert.equal(s.linux!.cgroup_parent, '/tskube/worker-1/poduid-1');
  assert.deepEqual(s.port_mappings, [{ protocol: 'TCP', container_port: 80, host_port: 8080, host_ip: '' }]);
  assert.deepEqual(s.linux!.security_context!.namespace_options, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
});

test('dnsPolicy None uses the pod dnsConfig only', () => {
  const p: Pod = { ...pod, spec: { ...pod.spec!, dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] } } };
  assert.deepEqual(sandboxConfig(cfg, p, 0).dns_config, { servers: ['1.1.1.1'], searches: [], options: ['ndots:2'] });
});

test('container config: env with fieldRefs and $(VAR), command expansion, resources, labels, log path', () => {
  const c = containerConfig(pod, pod.spec!.containers[0]!, 3, 'sha256:img', { podIP: '10.244.1.7', hostIP: '192.168.56.11', nodeName: 'worker-1' });
  assert.deepEqual(c.envs, [
    { key: 'GREETING', value: 'hi' }, { key: 'MSG', value: 'hi there' }, { key: 'POD', value: 'web-1' },
    { key: 'IP', value: '10.244.1.7' }, { key: 'APP', value: 'web' },
  ]);
  assert.deepEqual(c.args, ['echo hi $(LITERAL) $(UNKNOWN)']);
  assert.equal(c.image!.image, 'sha256:img');
  assert.equal(c.log_path, 'nginx/3.log');
  assert.equal(c.labels!['io.kubernetes.container.name'], 'nginx');
  assert.deepEqual(c.metadata, { name: 'nginx', attempt: 3 });
  const r = c.linux!.resources!;
  assert.equal(r.cpu_shares, 256);
  assert.equal(r.cpu_quota, 50_000);
  assert.equal(r.cpu_period, 100_000);
  assert.equal(r.memory_limit_in_bytes, 64 * 1024 * 1024);
  assert.equal(expandVars('$$', new Map()), '$');
});

test('image pull policy defaults', () => {
  assert.equal(pullPolicy({ name: 'a', image: 'nginx' }), 'Always');
  assert.equal(pullPolicy({ name: 'a', image: 'nginx:latest' }), 'Always');
  assert.equal(pullPolicy({ name: 'a', image: 'nginx:1.14.2' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'a', image: 'host:5000/nginx' }), 'Always');
  assert.equal(pullPolicy({ name: 'a', image: 'nginx@sha256:abc' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'a', image: 'nginx', imagePullPolicy: 'Never' }), 'Never');
});

test('status-only updates are not spec changes', () => {
  const a: Pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: '1' } };
  const b: Pod = { ...a, metadata: { ...a.metadata, resourceVersion: '2' }, status: { phase: 'Running' } };
  assert.equal(specChanged(a, b), false);
  assert.equal(specChanged(a, { ...b, metadata: { ...b.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }), true);
});

test('agent flags: taints, labels, defaults', () => {
  assert.deepEqual(parseTaints('node-role.kubernetes.io/control-plane=:NoSchedule,dedicated=gpu:NoExecute,k:PreferNoSchedule'), [
    { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    { key: 'dedicated', value: 'gpu', effect: 'NoExecute' },
    { key: 'k', effect: 'PreferNoSchedule' },
  ]);
  assert.throws(() => parseTaints('bad'));
  assert.deepEqual(parseLabels('node-role.kubernetes.io/control-plane=,zone=a'), { 'node-role.kubernetes.io/control-plane': '', zone: 'a' });
  const c = configFromFlags(['--node-name', 'w1', '--node-ip=192.168.56.11', '--server', 'http://m:6443', '--container-runtime-endpoint', 'unix:///s']);
  assert.equal(c.cgroupRoot, '/tskube/w1');
  assert.equal(c.port, 10250);
  assert.throws(() => configFromFlags(['--node-name', 'w1']), /--node-ip is required/);
});
