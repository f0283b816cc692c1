// The lab's Docker workers: which nodes run Docker for --workers N --docker-workers M, the CRI
// endpoint each agent gets, and the dockerd daemon.json (docker.io mirrored by the lab registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { labNodes, scriptsDir } from '../../scripts/lab/config.js';

test('the last M workers run Docker and their agents talk to the dockershim', () => {
  const nodes = labNodes(3, 2);
  assert.deepEqual(nodes.map((n) => `${n.name}:${n.runtime}`), ['master:containerd', 'worker-1:containerd', 'worker-2:docker', 'worker-3:docker']);
  assert.match(nodes[1]!.criSocket, /\/worker-1\/containerd\.sock$/);
  assert.match(nodes[2]!.criSocket, /\/worker-2\/dockershim\.sock$/);
  assert.ok(nodes.every((n) => n.docker.socket.length < 100));
  assert.deepEqual(labNodes(2).map((n) => n.runtime), ['containerd', 'containerd', 'containerd']);
  assert.deepEqual(labNodes(1, 1).map((n) => n.runtime), ['containerd', 'docker']);
});

test('daemon.json: docker.io mirrored over plain HTTP, cgroupfs, trust key kept in the node dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-dockerd-cfg-'));
  try {
    const out = join(dir, 'daemon.json');
    execFileSync('bash', [join(scriptsDir, 'node/dockerd-config.sh'), '--out', out, '--registry', '192.168.56.10:5000',
      '--cgroup-parent', '/tskube/worker-2/docker', '--key-path', join(dir, 'key.json')]);
    const cfg = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(cfg['registry-mirrors'], ['http://192.168.56.10:5000']);
    assert.deepEqual(cfg['insecure-registries'], ['192.168.56.10:5000']);
    assert.deepEqual(cfg['exec-opts'], ['native.cgroupdriver=cgroupfs']);
    assert.equal(cfg['cgroup-parent'], '/tskube/worker-2/docker');
    assert.equal(cfg['deprecated-key-path'], join(dir, 'key.json'));
    assert.throws(() => execFileSync('bash', [join(scriptsDir, 'node/dockerd-config.sh'), '--out', out], { stdio: 'pipe' }), /--registry/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
