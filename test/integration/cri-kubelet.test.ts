// The kubelet end to end on one node: a real `tskube server` (child process), a private
// containerd (cri-containerd.ts) or dockerd behind our dockershim (cri-docker.ts), and the kubelet in this process. Node registration and lease,
// pod to Running with IP and events, restart after a kill, ErrImagePull/ImagePullBackOff while
// other pods keep running, graceful deletion, orphan sandbox removal. Needs root.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isNotFound, type ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import type { Kubelet } from '../../agent/kubelet/kubelet.js';
import type { TestContainerd } from './cri-containerd.js';
import { startKubeletStack, waitFor, type KubeletStack, type TestRuntimeName } from './cri-kubelet-stack.js';

const NODE = 'kl-test';
function pod(name: string, image: string, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] }], ...extra },
  };
}

function kubeletSuite(runtime: TestRuntimeName, subnet: number, versionRe: RegExp): void {
  describe(`kubelet over CRI on ${runtime}`, () => {
    let stack: KubeletStack;
    let ctr: TestContainerd;
    let client: ApiClient;
    let kubelet: Kubelet;
    let kubeletPort = 0;
    const getPod = (name: string) => client.get<Pod>(R.pods, name, 'default');

    before(async () => {
      stack = await startKubeletStack({ nodeName: NODE, subnet: `10.244.${subnet}.0/24`, runtime });
      ({ ctr, client, kubelet, kubeletPort } = stack);
    });

    after(async () => { await stack?.stop(); });

    test('node registers, turns Ready, renews its lease', async () => {
      const node = await waitFor('Ready node', async () => {
        const n = await client.get<Node>(R.nodes, NODE);
        return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && n;
      });
      assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], NODE);
      assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
      assert.equal(node.metadata?.labels?.['node-role.kubernetes.io/worker'], '');
      assert.deepEqual(node.status?.addresses?.map((a) => a.type), ['InternalIP', 'Hostname']);
      assert.equal(node.status?.capacity?.pods, '110');
      assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', versionRe);
      assert.equal(node.status?.nodeInfo?.kubeletVersion, 'v1.32.0-tskube');
      const lease = await waitFor('lease', () => client.get<Lease>(R.leases, NODE, 'kube-node-lease').catch(() => undefined));
      assert.equal(lease.spec?.holderIdentity, NODE);
      const res = await fetch(`http://127.0.0.1:${kubeletPort}/healthz`);
      assert.equal(await res.text(), 'ok');
    });

    test('a pod goes Pending → Running with an IP, status and events', async () => {
      await client.create(R.pods, pod('web', 'busybox'));
      const p = await waitFor('Running pod', async () => { const x = await getPod('web'); return x.status?.phase === 'Running' && x; });
      const cs = p.status!.containerStatuses![0]!;
      assert.ok(cs.state?.running?.startedAt);
      assert.match(cs.containerID ?? '', new RegExp(`^${runtime}://[0-9a-f]{64}$`));
      assert.equal(cs.ready, true);
      assert.equal(cs.restartCount, 0);
      assert.match(p.status!.podIP ?? '', new RegExp(`^10\\.244\\.${subnet}\\.\\d+$`));
      assert.equal(p.status!.hostIP, '192.168.56.99');
      assert.equal(p.status!.qosClass, 'BestEffort');
      assert.ok(p.status!.startTime);
      for (const t of ['Initialized', 'Ready', 'ContainersReady']) assert.equal(p.status!.conditions!.find((c) => c.type === t)?.status, 'True', t);
      const evs = await waitFor('events', async () => {
        const l = await client.list<Event>(R.events, { namespace: 'default' });
        const reasons = l.items.filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
        return ['Pulling', 'Pulled', 'Created', 'Started'].every((r) => reasons.includes(r)) && l.items;
      });
      assert.ok(evs.every((e) => e.source?.component === 'kubelet'));
      const metrics = await (await fetch(`http://127.0.0.1:${kubeletPort}/metrics`)).text();
      assert.match(metrics, /kubelet_pod_start_duration_seconds_count 1/);
      // The process series upstream binaries expose (control/metrics/prom.ts), with real readings.
      const series = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
      assert.ok(series('process_cpu_seconds_total') > 0, 'process_cpu_seconds_total');
      assert.ok(series('process_resident_memory_bytes') > 20e6, 'process_resident_memory_bytes');
      assert.ok(series('process_open_fds') > 3, 'process_open_fds');
    });

    test('a container killed behind the kubelet\'s back is restarted', async () => {
      const before = await getPod('web');
      const id = before.status!.containerStatuses![0]!.containerID!.replace(`${runtime}://`, '');
      await kubelet.cri.stopContainer(id, 0);
      const p = await waitFor('restart', async () => {
        const x = await getPod('web');
        const c = x.status?.containerStatuses?.[0];
        return c?.restartCount === 1 && c.state?.running && x;
      });
      assert.ok(p.status!.containerStatuses![0]!.lastState?.terminated);
    });

    test('a missing image gives ErrImagePull then ImagePullBackOff; other pods keep running', async () => {
      await client.create(R.pods, pod('bad', 'docker.io/library/doesnotexist:1'));
      const reasons = new Set<string>();
      await waitFor('ImagePullBackOff', async () => {
        const x = await getPod('bad');
        const r = x.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (r) reasons.add(r);
        return r === 'ImagePullBackOff';
      }, 30_000);
      assert.ok(reasons.has('ErrImagePull'), `saw ${[...reasons]}`);
      assert.equal((await getPod('bad')).status?.phase, 'Pending');
      assert.equal((await getPod('web')).status?.phase, 'Running');
      await client.delete(R.pods, 'bad', 'default');
      await waitFor('bad pod gone', () => getPod('bad').then(() => false, (e) => isNotFound(e)));
    });

    test('deleting a pod stops it, removes sandbox and cgroup, then the API object', async () => {
      const p = await getPod('web');
      const uid = p.metadata!.uid!;
      await client.delete(R.pods, 'web', 'default');
      await waitFor('pod gone from API', () => getPod('web').then(() => false, (e) => isNotFound(e)));
      assert.deepEqual(await kubelet.cri.listPodSandbox({ label_selector: { 'io.kubernetes.pod.uid': uid } }), []);
      assert.equal(existsSync(`/sys/fs/cgroup/memory${ctr.cgroupRoot}/${NODE}/pod${uid}`), false);
    });

    test('a sandbox no API pod owns is torn down', async () => {
      const uid = 'orphan-0000';
      const id = await kubelet.cri.runPodSandbox({
        metadata: { name: 'ghost', namespace: 'default', uid, attempt: 0 },
        labels: { 'io.kubernetes.pod.name': 'ghost', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid },
        dns_config: { servers: ['10.96.0.10'] },
        linux: { cgroup_parent: `${ctr.cgroupRoot}/${NODE}/pod${uid}` },
      });
      await waitFor('orphan removed', async () => (await kubelet.cri.listPodSandbox({ id })).length === 0);
    });
  });
}

kubeletSuite('containerd', 251, /^containerd:\/\/1\.6/);
kubeletSuite('docker', 248, /^docker:\/\/20\./);
