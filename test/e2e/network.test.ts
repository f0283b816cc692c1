// Service networking through the lab with the real kubectl, once per iptables backend (the agents
// run with TSKUBE_IPTABLES_MODE): ClusterIP from every node and from pods on every node, answered
// by pods on both workers; NodePort on every node address; an all-not-ready Service rejects
// within a second; ClientIP affinity; DNS from pods; pod source IPs kept across nodes; deleting a
// Service removes every rule of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCri } from '../../agent/cri/client.js';

type CriRuntime = Awaited<ReturnType<typeof connectCri>>;
import { kubectl, repoRoot, waitFor } from '../helpers/server.js';
import { labLeftovers } from '../helpers/lab.js';

const kubeconfig = join(repoRoot, '.lab/kubeconfig');
const k = (...args: string[]) => kubectl(kubeconfig, args);
const NODE_IPS: Record<string, string> = { master: '192.168.56.10', 'worker-1': '192.168.56.11', 'worker-2': '192.168.56.12' };
const nodes = Object.keys(NODE_IPS);

function tskube(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), ...args], { encoding: 'utf8', timeout: 240_000, env });
}
/** A shell command inside a node's namespaces. */
function onNode(node: string, script: string): { code: number; out: string; err: string } {
  const r = tskube(['lab', 'exec', node, '--', 'sh', '-c', script]);
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx, ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-sticky}
spec: {selector: {app: web}, sessionAffinity: ClientIP, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sick}
spec:
  replicas: 2
  selector: {matchLabels: {app: sick}}
  template:
    metadata: {labels: {app: sick}}
    spec:
      containers:
      - name: nginx
        image: nginx
        readinessProbe: {httpGet: {path: /, port: 81}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: sick}
spec: {selector: {app: sick}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client-1}
spec:
  nodeName: worker-1
  containers: [{name: c, image: busybox, command: [sleep, '3600']}]
---
apiVersion: v1
kind: Pod
metadata: {name: client-2}
spec:
  nodeName: worker-2
  containers: [{name: c, image: busybox, command: [sleep, '3600']}]
`;

interface PodView { name: string; node: string; ip: string; ready: boolean; container: string }
async function pods(selector: string): Promise<PodView[]> {
  const r = await k('get', 'pods', '-l', selector, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => ({
    name: p.metadata.name, node: p.spec.nodeName, ip: p.status?.podIP,
    ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    container: String(p.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^\w+:\/\//, ''),
  }));
}
async function pod(name: string): Promise<PodView> {
  const r = await k('get', 'pod', name, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  return { name, node: p.spec.nodeName, ip: p.status?.podIP, ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    container: String(p.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^\w+:\/\//, '') };
}
const clusterIP = async (svc: string) => (await k('get', 'svc', svc, '-o', 'jsonpath={.spec.clusterIP}')).stdout.trim();

/** Runs a command in a pod's container through its node's CRI (ExecSync). (busybox wget -T crashes in this image: the exec timeout bounds it.) */
const cris = new Map<string, CriRuntime>();
async function inPod(p: PodView, cmd: string[], timeoutS = 20): Promise<{ code: number; out: string }> {
  let cri = cris.get(p.node);
  if (!cri) cris.set(p.node, (cri = await connectCri(`unix://${join(repoRoot, '.lab/nodes', p.node, 'containerd.sock')}`)));
  const r = await cri.execSync(p.container, cmd, timeoutS) as { exit_code: number; stdout: Buffer | string; stderr: Buffer | string };
  return { code: r.exit_code, out: String(r.stdout) + String(r.stderr) };
}
const whoAnswered = (out: string) => [...out.matchAll(/Served by pod <b>([^<]+)<\/b>/g)].map((m) => m[1]);

for (const mode of ['nft', 'legacy'] as const) {
  describe(`service networking, ${mode} backend`, { timeout: 600_000 }, () => {
    let web: PodView[] = [];
    before(async () => {
      const down = tskube(['lab', 'down']);
      assert.equal(down.status, 0, down.stderr);
      const up = tskube(['lab', 'up'], { ...process.env, TSKUBE_IPTABLES_MODE: mode });
      assert.equal(up.status, 0, up.stdout + up.stderr);
      await waitFor('3 Ready nodes', async () => (await k('get', 'nodes', '--no-headers')).stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 3, 90_000);
    });
    after(() => {
      for (const c of cris.values()) c.close();
      cris.clear();
      tskube(['lab', 'down']);
    });

    test('setup: web pods Ready on both workers, clients running', async () => {
      const applied = await kubectl(kubeconfig, ['apply', '-f', '-'], MANIFEST);
      assert.equal(applied.code, 0, applied.stderr);
      web = await waitFor('2 web pods Ready', async () => { const ps = await pods('app=web'); return ps.length === 2 && ps.every((p) => p.ready && p.ip) && ps; }, 120_000, 250);
      assert.deepEqual(web.map((p) => p.node).sort(), ['worker-1', 'worker-2']);
      for (const c of ['client-1', 'client-2']) await waitFor(`${c} running`, async () => (await pod(c)).container || undefined, 120_000, 250);
    });

    test(`agents use the ${mode} backend`, () => {
      const other = mode === 'nft' ? 'legacy' : 'nft';
      for (const n of nodes) {
        assert.match(onNode(n, `iptables-${mode}-save -t nat 2>/dev/null`).out, /^:KUBE-SERVICES/m, `${n} has ${mode} rules`);
        assert.doesNotMatch(onNode(n, `iptables-${other}-save -t nat 2>/dev/null`).out, /KUBE-SERVICES/, `${n} has no ${other} rules`);
      }
    });

    test('ClusterIP from every node, answered by pods on both workers', async () => {
      const ip = await clusterIP('web');
      for (const n of nodes) {
        const seen = new Set<string>();
        await waitFor(`${n} reaches both web pods`, () => {
          const r = onNode(n, `for i in $(seq 12); do curl -s --max-time 3 http://${ip}/; done`);
          for (const w of whoAnswered(r.out)) seen.add(w);
          return seen.size === 2;
        }, 30_000, 200);
        assert.deepEqual([...seen].sort(), web.map((p) => p.name).sort());
      }
    });

    test('ClusterIP from pods on every node; DNS names resolve from pods (nslookup, wget http://web)', async () => {
      const ip = await clusterIP('web');
      for (const c of ['client-1', 'client-2']) {
        const p = await pod(c);
        const seen = new Set<string>();
        for (let i = 0; i < 12 && seen.size < 2; i++) for (const w of whoAnswered((await inPod(p, ['wget', '-qO-', `http://${ip}/`])).out)) seen.add(w);
        assert.equal(seen.size, 2, `${c} reaches both pods`);
        const ns = await waitFor(`${c}: nslookup web`, async () => { const r = await inPod(p, ['nslookup', 'web.default.svc.cluster.local.']); return r.code === 0 && r.out.includes(ip) && r; }, 30_000, 500);
        assert.ok(ns.out.includes(ip));
        const byName = await inPod(p, ['wget', '-qO-', 'http://web/']);
        assert.equal(byName.code, 0, byName.out);
        assert.equal(whoAnswered(byName.out).length, 1, byName.out);
        const t0 = Date.now();
        const nx = await inPod(p, ['nslookup', 'no-such-service.default.svc.cluster.local.']);
        assert.notEqual(nx.code, 0);
        assert.ok(Date.now() - t0 < 5000, `unknown name answered fast (${Date.now() - t0} ms)`);
      }
    });

    test('NodePort on each node address, from the master', async () => {
      const np = (await k('get', 'svc', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}')).stdout.trim();
      assert.match(np, /^3\d{4}$/);
      for (const [n, addr] of Object.entries(NODE_IPS)) {
        const r = onNode('master', `curl -s --max-time 3 http://${addr}:${np}/`);
        assert.equal(whoAnswered(r.out).length, 1, `NodePort on ${n} (${addr}): ${r.out}`);
      }
    });

    test('a Service whose pods are all not ready rejects within a second', async () => {
      const sick = await waitFor('2 sick pods running, not ready', async () => { const ps = await pods('app=sick'); return ps.length === 2 && ps.every((p) => p.ip && !p.ready) && ps; }, 120_000, 250);
      assert.equal(sick.length, 2);
      const ip = await clusterIP('sick');
      const r = onNode('worker-1', `curl -s -o /dev/null -w '%{time_total}' --max-time 5 http://${ip}/; echo " exit=$?"`);
      const m = /([\d.]+) exit=(\d+)/.exec(r.out);
      assert.ok(m, r.out);
      assert.equal(m[2], '7', `connection refused (curl exit 7): ${r.out}`);
      assert.ok(Number(m[1]) < 1, `rejected in ${m[1]} s`);
    });

    test('sessionAffinity ClientIP keeps one client on one pod', async () => {
      const ip = await clusterIP('web-sticky');
      const p = await pod('client-1');
      const seen: string[] = [];
      for (let i = 0; i < 10; i++) seen.push(...whoAnswered((await inPod(p, ['wget', '-qO-', `http://${ip}/`])).out));
      assert.equal(seen.length, 10);
      assert.equal(new Set(seen).size, 1, `one pod: ${seen.join(' ')}`);
    });

    test('pod source IP is preserved pod to pod across nodes', async () => {
      const client = await pod('client-2'); // on worker-2
      const target = web.find((w) => w.node === 'worker-1')!;
      const marker = `/src-${mode}-${Date.now()}`;
      await inPod(client, ['wget', '-qO-', `http://${target.ip}${marker}`]); // 404 is fine: the access log counts
      const t = await pod(target.name);
      // nginx logs to stdout; the kubelet's CRI log file for it lies under the node's root dir.
      const podsDir = join(repoRoot, '.lab/nodes/worker-1/kubelet/logs/pods');
      const logged = await waitFor('access log line', () => {
        for (const d of readdirSync(podsDir).filter((x) => x.startsWith(`default_${t.name}_`))) {
          for (const f of readdirSync(join(podsDir, d, 'nginx'))) {
            const line = readFileSync(join(podsDir, d, 'nginx', f), 'utf8').split('\n').find((l) => l.includes(marker));
            if (line) return line;
          }
        }
        return undefined;
      }, 15_000, 300);
      // Access log "<ip> - - [...]" or error log "client: <ip>,": either way the peer address nginx saw.
      assert.match(logged, new RegExp(`(^| |client: )${client.ip.replace(/\./g, '\\.')}[ ,]`), `the server saw ${client.ip}: ${logged}`);
    });

    test('deleting a Service removes every rule of it (iptables-save on every node)', async () => {
      const count = (n: string) => onNode(n, `iptables-${mode}-save 2>/dev/null | grep -c 'default/web-np' || true`).out.trim();
      for (const n of nodes) assert.ok(Number(count(n)) > 0, `${n} has web-np rules`);
      const del = await k('delete', 'svc', 'web-np');
      assert.equal(del.code, 0, del.stderr);
      for (const n of nodes) await waitFor(`${n}: no web-np rules`, () => count(n) === '0', 15_000, 300);
      // Its chains went too: nothing jumps to a KUBE-EXT/SVC chain that is not declared.
      for (const n of nodes) {
        const save = onNode(n, `iptables-${mode}-save -t nat 2>/dev/null`).out;
        const declared = new Set([...save.matchAll(/^:(KUBE-\S+)/gm)].map((m) => m[1]));
        for (const m of save.matchAll(/-j (KUBE-(?:SVC|SEP|EXT)-\S+)/g)) assert.ok(declared.has(m[1]), `${n}: dangling jump to ${m[1]}`);
      }
    });

    test('lab down leaves nothing behind', () => {
      for (const c of cris.values()) c.close();
      cris.clear();
      const down = tskube(['lab', 'down']);
      assert.equal(down.status, 0, down.stderr);
      // Only the lab's own traces: other suites' scratch namespaces may exist at the same time.
      assert.deepEqual(labLeftovers().filter((l) => /tskube-(lab|master|worker-\d+)\b|tskube0|\/\.lab\//.test(l)), []);
    });
  });
}
