// Cluster DNS, pure parts: the codec (queries with compression, answers, truncation) and the
// records the Kubernetes DNS spec asks for (A, headless A, hostnames, SRV, PTR, pods, CNAME, NXDOMAIN).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { decodeResponse, encodeQuery, encodeResponse, parseQuery, RCODE, TYPE } from '../../control/dns/codec.js';
import { resolve, type DnsData } from '../../control/dns/records.js';
import { handleMessage } from '../../control/dns/server.js';

const services: Service[] = [
  { metadata: { namespace: 'default', name: 'nginx' }, spec: { clusterIP: '10.96.5.6', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
  { metadata: { namespace: 'default', name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } },
  { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } },
];
const slices: Record<string, EndpointSlice[]> = {
  'default/db': [{
    addressType: 'IPv4', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.244.2.7'], conditions: { ready: true } },
      { addresses: ['10.244.2.9'], hostname: 'db-2', conditions: { ready: false } },
    ],
  }],
};
const data: DnsData = {
  service: (ns, n) => services.find((s) => s.metadata!.namespace === ns && s.metadata!.name === n),
  slices: (ns, n) => slices[`${ns}/${n}`] ?? [],
  services: () => services,
  namespaceExists: (ns) => ns === 'default' || ns === 'kube-system',
};
const ask = (name: string, type: number = TYPE.A) => {
  const r = resolve({ name, type, class: 1 }, data);
  return { rcode: r.rcode, answers: r.answers.map((a) => ('address' in a ? a.address : 'target' in a && a.type !== TYPE.SRV ? a.target : a.type === TYPE.SRV ? `${a.port} ${a.target}` : '')) };
};

test('Service A record is its ClusterIP; headless gives one A per ready endpoint', () => {
  assert.deepEqual(ask('nginx.default.svc.cluster.local'), { rcode: RCODE.NOERROR, answers: ['10.96.5.6'] });
  assert.deepEqual(ask('NGINX.default.svc.cluster.local.'), { rcode: RCODE.NOERROR, answers: ['10.96.5.6'] });
  assert.deepEqual(ask('db.default.svc.cluster.local'), { rcode: RCODE.NOERROR, answers: ['10.244.1.5', '10.244.2.7'] });
});

test('endpoint hostnames (hostname.subdomain) and dashed IPs under a headless Service', () => {
  assert.deepEqual(ask('db-0.db.default.svc.cluster.local').answers, ['10.244.1.5']);
  assert.deepEqual(ask('10-244-2-7.db.default.svc.cluster.local').answers, ['10.244.2.7']);
  assert.equal(ask('db-2.db.default.svc.cluster.local').rcode, RCODE.NXDOMAIN); // not ready
});

test('SRV for named ports, PTR for ClusterIPs and hostnamed endpoints, pods, ExternalName', () => {
  assert.deepEqual(ask('_http._tcp.nginx.default.svc.cluster.local', TYPE.SRV).answers, ['80 nginx.default.svc.cluster.local']);
  assert.deepEqual(ask('_pg._tcp.db.default.svc.cluster.local', TYPE.SRV).answers, ['5432 db-0.db.default.svc.cluster.local', '5432 10-244-2-7.db.default.svc.cluster.local']);
  assert.deepEqual(ask('6.5.96.10.in-addr.arpa', TYPE.PTR).answers, ['nginx.default.svc.cluster.local']);
  assert.deepEqual(ask('5.1.244.10.in-addr.arpa', TYPE.PTR).answers, ['db-0.db.default.svc.cluster.local']);
  assert.deepEqual(ask('10-244-1-9.default.pod.cluster.local').answers, ['10.244.1.9']);
  assert.deepEqual(ask('ext.default.svc.cluster.local').answers, ['example.com']);
});

test('unknown names: NXDOMAIN with SOA; known name, other type: NODATA; outside the zone: NXDOMAIN', () => {
  const nx = resolve({ name: 'nope.default.svc.cluster.local', type: TYPE.A, class: 1 }, data);
  assert.equal(nx.rcode, RCODE.NXDOMAIN);
  assert.equal(nx.authority[0].type, TYPE.SOA);
  assert.equal(ask('nginx.nons.svc.cluster.local').rcode, RCODE.NXDOMAIN);
  assert.equal(ask('nons.svc.cluster.local').rcode, RCODE.NXDOMAIN);
  assert.deepEqual(ask('default.svc.cluster.local'), { rcode: RCODE.NOERROR, answers: [] });
  assert.deepEqual(ask('nginx.default.svc.cluster.local', TYPE.AAAA), { rcode: RCODE.NOERROR, answers: [] });
  assert.equal(ask('example.com').rcode, RCODE.NXDOMAIN);
  assert.equal(ask('nginx.default.svc.cluster.local.default.svc.cluster.local').rcode, RCODE.NXDOMAIN);
});

test('codec: a query round-trips, compressed names parse, answers decode, big UDP answers truncate', () => {
  const q = parseQuery(encodeQuery(0x1234, 'nginx.default.svc.cluster.local', TYPE.A));
  assert.deepEqual(q.questions, [{ name: 'nginx.default.svc.cluster.local', type: TYPE.A, class: 1 }]);
  assert.equal(q.id, 0x1234);
  // A name that points back at the question (0xc00c), as answers in real packets do.
  const withPtr = Buffer.concat([encodeQuery(1, 'a.b', TYPE.A), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4])]);
  withPtr.writeUInt16BE(1, 6); // ancount
  assert.equal(parseQuery(withPtr).questions[0].name, 'a.b');
  const out = decodeResponse(handleMessage(encodeQuery(7, 'db.default.svc.cluster.local', TYPE.A), (x) => resolve(x, data), true)!);
  assert.deepEqual({ id: out.id, rcode: out.rcode, aa: out.aa, a: out.answers.map((a) => a.data) }, { id: 7, rcode: 0, aa: true, a: ['10.244.1.5', '10.244.2.7'] });
  const many = { rcode: 0, authoritative: true, authority: [], answers: Array.from({ length: 40 }, (_, i) => ({ name: 'x.default.svc.cluster.local', ttl: 5, type: TYPE.A, address: `10.0.0.${i}` } as const)) };
  const tc = decodeResponse(encodeResponse(q, many, 512));
  assert.equal(tc.tc, true);
  assert.equal(tc.answers.length, 0);
  assert.equal(decodeResponse(encodeResponse(q, many)).answers.length, 40);
  // Garbage gets FORMERR (or nothing for < 4 bytes), never a crash.
  assert.equal(decodeResponse(handleMessage(Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 99]), () => { throw new Error('unreached'); }, true)!).rcode, RCODE.FORMERR);
  assert.equal(handleMessage(Buffer.from([1]), () => { throw new Error('unreached'); }, true), undefined);
});
