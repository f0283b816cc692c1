// Cluster DNS and the EndpointSlice controller against a real tskube API server: slices follow
// pods (ready, not ready, deleted Service), selectorless Services are mirrored, the kube-dns
// Service is kept, and DNS answers over UDP and TCP from what the informers see.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { ENDPOINT_SLICES, startEndpointSliceController } from '../../control/controllers/endpointslice/endpointslice-controller.js';
import { startClusterDns, type ClusterDns } from '../../control/dns/index.js';
import { decodeResponse, encodeQuery, RCODE, TYPE } from '../../control/dns/codec.js';
import { startServer, waitFor, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let client: ApiClient;
let dns: ClusterDns;
let stopSlices: () => void;

before(async () => {
  srv = await startServer(['--disable', 'scheduler,controllers,dns']);
  client = new ApiClient({ server: srv.url });
  stopSlices = (await startEndpointSliceController(client)).stop;
  dns = await startClusterDns(client, { listenAddress: '127.0.0.1', port: 0 });
});
after(async () => {
  await dns?.stop();
  stopSlices?.();
  await srv?.stop();
});

function udpQuery(name: string, type: number = TYPE.A): Promise<ReturnType<typeof decodeResponse> & { ms: number }> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t0 = performance.now();
    const timer = setTimeout(() => { s.close(); reject(new Error(`no answer for ${name}`)); }, 2000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve({ ...decodeResponse(m), ms: performance.now() - t0 }); });
    s.send(encodeQuery(Math.floor(Math.random() * 65535), name, type), dns.port, '127.0.0.1');
  });
}
function tcpQuery(name: string, type: number = TYPE.A): Promise<ReturnType<typeof decodeResponse>> {
  return new Promise((resolve, reject) => {
    const q = encodeQuery(1, name, type);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    const sock = net.connect(dns.port, '127.0.0.1', () => sock.write(Buffer.concat([len, q])));
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) { sock.destroy(); resolve(decodeResponse(buf.subarray(2))); }
    });
    sock.on('error', reject);
  });
}

async function pod(name: string, ip: string, extra: Partial<NonNullable<Pod['spec']>> = {}, ready = true): Promise<void> {
  const created = await client.create<Pod>(R.pods, {
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
  });
  await setReady(created, ip, ready);
}
async function setReady(p: Pod, ip: string, ready: boolean): Promise<void> {
  const cur = await client.get<Pod>(R.pods, p.metadata!.name!, 'default');
  await client.updateStatus(R.pods, { ...cur, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
}
const slicesOf = async (svc: string, ns = 'default') =>
  (await client.list<EndpointSlice>(ENDPOINT_SLICES, { namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` })).items;
const readyIps = (sl: EndpointSlice[]) => sl.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.addresses[0])).sort();

test('slices follow pods; DNS answers ClusterIP, headless, hostname.subdomain, SRV, PTR over UDP and TCP', { timeout: 60_000 }, async () => {
  const web = await client.create<Service>(R.services, { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await client.create<Service>(R.services, { metadata: { name: 'sub', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await pod('web-a', '10.244.1.5');
  await pod('web-b', '10.244.2.6', { hostname: 'b', subdomain: 'sub' });

  const sl = await waitFor('2 ready endpoints in web slices', async () => { const s = await slicesOf('web'); return readyIps(s).length === 2 && s; }, 15_000);
  assert.equal(sl.length, 1);
  assert.deepEqual(sl[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const a = sl[0].endpoints.find((e) => e.addresses[0] === '10.244.1.5')!;
  assert.deepEqual(a.conditions, { ready: true, serving: true, terminating: false });
  assert.equal(a.nodeName, 'worker-1');
  assert.equal(a.targetRef?.name, 'web-a');
  assert.equal(sl[0].metadata?.ownerReferences?.[0]?.name, 'web');

  const clusterIP = web.spec!.clusterIP!;
  await waitFor('DNS sees web', async () => (await udpQuery('web.default.svc.cluster.local')).answers[0]?.data === clusterIP, 10_000);
  assert.deepEqual((await tcpQuery('web.default.svc.cluster.local')).answers.map((x) => x.data), [clusterIP]);
  await waitFor('headless A per ready endpoint', async () => (await udpQuery('sub.default.svc.cluster.local')).answers.map((x) => x.data).sort().join() === '10.244.1.5,10.244.2.6', 10_000);
  assert.deepEqual((await udpQuery('b.sub.default.svc.cluster.local')).answers.map((x) => x.data), ['10.244.2.6']);
  assert.deepEqual((await udpQuery('_http._tcp.web.default.svc.cluster.local', TYPE.SRV)).answers.map((x) => x.data), ['0 100 80 web.default.svc.cluster.local']);
  assert.deepEqual((await udpQuery(`${clusterIP.split('.').reverse().join('.')}.in-addr.arpa`, TYPE.PTR)).answers.map((x) => x.data), ['web.default.svc.cluster.local']);

  // Unknown cluster names and names outside the cluster: answered at once.
  const nx = await udpQuery('nope.default.svc.cluster.local');
  assert.equal(nx.rcode, RCODE.NXDOMAIN);
  const outside = await udpQuery('deb.debian.org');
  assert.equal(outside.rcode, RCODE.NXDOMAIN);
  assert.ok(nx.ms < 100 && outside.ms < 100, `fast answers: ${nx.ms} ms, ${outside.ms} ms`);

  // A pod goes not ready: its endpoint stays, not ready, and leaves the headless answer.
  await setReady((await client.get<Pod>(R.pods, 'web-b', 'default')), '10.244.2.6', false);
  await waitFor('web-b not ready in the slice', async () => readyIps(await slicesOf('web')).join() === '10.244.1.5', 10_000);
  await waitFor('headless answer shrinks', async () => (await udpQuery('sub.default.svc.cluster.local')).answers.map((x) => x.data).join() === '10.244.1.5', 10_000);

  // The Service goes: its slices go, its name is NXDOMAIN.
  await client.delete(R.services, 'web', 'default');
  await waitFor('web slices deleted', async () => (await slicesOf('web')).length === 0, 10_000);
  await waitFor('web NXDOMAIN', async () => (await udpQuery('web.default.svc.cluster.local')).rcode === RCODE.NXDOMAIN, 10_000);
});

test('kube-dns Service, Endpoints and slice point at the DNS server; selectorless Services are mirrored', { timeout: 30_000 }, async () => {
  const svc = await client.get<Service>(R.services, 'kube-dns', 'kube-system');
  assert.equal(svc.spec?.clusterIP, '10.96.0.10');
  assert.deepEqual(svc.spec?.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`), ['dns:53/UDP', 'dns-tcp:53/TCP']);
  assert.equal(svc.metadata?.labels?.['k8s-app'], 'kube-dns');
  const sl = await waitFor('one kube-dns slice', async () => { const s = await slicesOf('kube-dns', 'kube-system'); return s.length === 1 && s; }, 10_000);
  assert.deepEqual(sl[0].endpoints.map((e) => e.addresses[0]), ['127.0.0.1']);
  assert.equal(sl[0].ports?.[0]?.port, dns.port);
  // Someone deletes the slice: it comes back.
  await client.delete(ENDPOINT_SLICES, sl[0].metadata!.name!, 'kube-system');
  await waitFor('kube-dns slice restored', async () => (await slicesOf('kube-dns', 'kube-system')).length === 1, 10_000);
  // The API server's `kubernetes` Service has only Endpoints: mirrored into a slice.
  const k = await waitFor('kubernetes mirrored', async () => { const s = await slicesOf('kubernetes'); return s.length === 1 && s; }, 10_000);
  assert.equal(k[0].metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslicemirroring-controller.k8s.io');
  assert.equal(k[0].ports?.[0]?.name, 'https');
});
