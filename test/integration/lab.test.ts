// The netns lab end to end: `lab up` creates every node namespace with a working containerd,
// the registry mirrors docker.io (nginx pulls and runs in a worker), the host reaches the
// master; `lab down` then leaves no namespace, process, veth, cgroup or mount behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fetchFromKubeconfig } from '../helpers/tls.js';

const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tskube = path.join(checkout, 'dist/bin/tskube.js');
const labDir = path.join(checkout, '.lab');
const nodes = ['master', 'worker-1', 'worker-2'];
const sock = (n: string): string => path.join(labDir, 'nodes', n, 'containerd.sock');
const isRoot = process.getuid?.() === 0;

function sh(cmd: string, args: string[]): { code: number; out: string; ms: number } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: checkout });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, ms: Math.round(performance.now() - t) };
}
const lab = (...args: string[]) => sh(process.execPath, [tskube, 'lab', ...args]);
const netns = (): string[] => sh('ip', ['netns', 'list']).out.split('\n').map((l) => l.split(' ')[0]!);
const labNetns = (): string[] => netns().filter((n) => n === 'tskube-lab' || nodes.some((x) => n === `tskube-${x}`));

/** Processes whose command line mentions the lab's directory (containerd, agents, server, shims). */
function labProcs(): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/stat`, 'utf8').includes(') Z ')) continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(labDir) && Number(d) !== process.pid) out.push(`${d} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('lab', { skip: isRoot ? false : 'needs root' }, () => {
  before(() => {
    lab('down');
    const up = lab('up');
    console.log(`# lab up: ${up.ms} ms`);
    assert.equal(up.code, 0, up.out);
  });
  after(() => lab('down'));

  it('creates one namespace per node plus the lab bridge namespace', () => {
    for (const n of nodes) assert.ok(netns().includes(`tskube-${n}`), `tskube-${n} missing`);
    assert.ok(netns().includes('tskube-lab'));
    const links = sh('ip', ['-o', 'link']).out;
    assert.match(links, /tskube0/);
  });

  it('runs a containerd in every node', () => {
    for (const n of nodes) {
      const r = sh('ctr', ['-a', sock(n), 'version']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Server:/);
    }
  });

  it('lets the host reach the master on the lab network', () => {
    const r = sh('ping', ['-c1', '-W2', '192.168.56.10']);
    assert.equal(r.code, 0, r.out);
  });

  it('pulls docker.io/library/nginx through the local mirror in a worker and runs it', async () => {
    const certs = path.join(labDir, 'nodes/worker-1/certs.d');
    const pull = sh('ctr', ['-n', 'k8s.io', '-a', sock('worker-1'), 'images', 'pull', '--hosts-dir', certs, 'docker.io/library/nginx:latest']);
    assert.equal(pull.code, 0, pull.out);
    // Started inside the node (host network of worker-1); lab down must clean it up.
    const run = lab('exec', 'worker-1', '--', 'ctr', '-n', 'k8s.io', '-a', sock('worker-1'), 'run', '-d', '--net-host',
      '--cgroup', '/tskube/worker-1/lab-test', 'docker.io/library/nginx:latest', 'lab-test-nginx');
    assert.equal(run.code, 0, run.out);
    let res: Response | undefined;
    for (let i = 0; i < 100 && !res; i++) {
      res = await fetch('http://192.168.56.11/', { signal: AbortSignal.timeout(500) }).catch(() => undefined);
      if (!res) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(res, 'nginx in worker-1 did not answer');
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-pod-name'), 'X-Pod-Name header missing');
    assert.match(await res.text(), /Served by pod/);
  });

  it('exec runs in the node and returns the exit code', () => {
    const r = lab('exec', 'worker-2', '--', 'sh', '-c', 'ip -o addr show eth0; exit 7');
    assert.equal(r.code, 7);
    assert.match(r.out, /192\.168\.56\.12/);
  });

  it('a second up leaves the running lab alone', () => {
    const r = lab('up');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /already up/);
    assert.equal(sh('ctr', ['-a', sock('master'), 'version']).code, 0);
  });

  it('starts the API server and registers the nodes', async (t) => {
    if (!existsSync(path.join(checkout, 'dist/control/server.js'))) return t.skip('dist/control/server.js not built: lab came up without control plane');
    const api = fetchFromKubeconfig(path.join(checkout, '.lab/kubeconfig'));
    const v = await api('/version');
    assert.equal(v.status, 200);
    if (!existsSync(path.join(checkout, 'dist/agent/agent.js'))) return t.skip('dist/agent/agent.js not built: no agents');
    const list = (await (await api('/api/v1/nodes')).json()) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), [...nodes].sort());
  });

  it('down removes everything, and a second down is a no-op', () => {
    const d = lab('down');
    console.log(`# lab down: ${d.ms} ms`);
    assert.equal(d.code, 0, d.out);
    assert.deepEqual(labNetns(), []);
    assert.deepEqual(labProcs(), []);
    assert.doesNotMatch(sh('ip', ['-o', 'link']).out, /tskube0/);
    const cgroups = readdirSync('/sys/fs/cgroup').filter((h) => existsSync(`/sys/fs/cgroup/${h}/tskube/master`) || existsSync(`/sys/fs/cgroup/${h}/tskube/worker-1`));
    assert.deepEqual(cgroups, []);
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(labDir.replace(/[.]/g, '\\.')));
    assert.equal(existsSync(path.join(labDir, 'nodes')), false);
    const again = lab('down');
    assert.equal(again.code, 0);
    assert.match(again.out, /nothing to tear down/);
  });
});
