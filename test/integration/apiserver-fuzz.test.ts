// Hostile input: 10,000+ malformed bodies against create and patch (wrong types, huge
// strings, deep nesting, invalid UTF-8, unknown kinds, wrong content types). Every answer
// must be a 4xx metav1.Status, the server must stay up, and the store must not change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => { srv = await startServer(['--disable', 'scheduler,controllers,dns']); });
after(async () => { await srv?.stop(); });

// A small seeded PRNG so a failure can be replayed (TSKUBE_FUZZ_SEED).
const seed = Number(process.env.TSKUBE_FUZZ_SEED ?? 1234);
let state = seed;
const rnd = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const collections = ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/services', '/api/v1/namespaces/default/configmaps',
  '/api/v1/namespaces/default/secrets', '/apis/apps/v1/namespaces/default/deployments', '/apis/batch/v1/namespaces/default/jobs',
  '/api/v1/namespaces', '/api/v1/nodes', '/apis/apps/v1/namespaces/default/daemonsets', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices'];

const weird = (): unknown => pick<() => unknown>([
  () => null, () => 42, () => -1.5e308, () => true, () => 'x'.repeat(Math.floor(rnd() * 70_000)), () => [], () => [1, 'a', null],
  () => ({}), () => ({ $patch: 'delete' }), () => '\u0000\uffff\ud800', () => ({ a: { b: { c: [{}] } } }), () => 'Bad_Name', () => '../../etc',
])();

const base: Record<string, () => any> = {
  pods: () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }] }] } }),
  services: () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }], selector: { app: 'x' } } }),
  configmaps: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } }),
  secrets: () => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { a: 'Yg==' } }),
  deployments: () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }),
};

/** Sets a random path of obj to a weird value, and always breaks the name so nothing valid remains. */
function mutate(obj: any): any {
  const paths: string[][] = [];
  const walk = (o: any, p: string[]) => {
    if (o && typeof o === 'object') for (const k of Object.keys(o)) { paths.push([...p, k]); walk(o[k], [...p, k]); }
  };
  walk(obj, []);
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const path = pick(paths);
    let o = obj;
    for (const k of path.slice(0, -1)) o = o?.[k];
    if (o && typeof o === 'object') o[path[path.length - 1]!] = weird();
  }
  obj.metadata = obj.metadata && typeof obj.metadata === 'object' && !Array.isArray(obj.metadata) ? obj.metadata : {};
  obj.metadata.name = pick(['Bad_Name', '', 'x'.repeat(300), '-x-', 'a/b', 'UPPER']);
  return obj;
}

function deep(n: number): string { return '['.repeat(n) + ']'.repeat(n); }

function body(): { data: string | Buffer; type: string } {
  switch (Math.floor(rnd() * 8)) {
    case 0: return { data: JSON.stringify(mutate(base[pick(Object.keys(base))]!())), type: 'application/json' };
    case 1: return { data: JSON.stringify(mutate(base[pick(Object.keys(base))]!())).slice(0, Math.floor(rnd() * 80)), type: 'application/json' };
    case 2: return { data: deep(1 + Math.floor(rnd() * 100_000)), type: 'application/json' };
    case 3: return { data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0xc3, 0x28, 0x7d]), type: 'application/json' };
    case 4: return { data: JSON.stringify({ apiVersion: pick(['v1', 'apps/v1', 'nope/v9', '']), kind: pick(['Nope', 'Pod', 'List', 42]), metadata: { name: 'Bad_Name' } }), type: 'application/json' };
    case 5: return { data: JSON.stringify(weird()), type: 'application/json' };
    case 6: return { data: 'a: b\nc: [', type: pick(['application/yaml', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.kubernetes.protobuf']) };
    default: return { data: JSON.stringify(mutate(base[pick(Object.keys(base))]!())), type: pick(['application/json', 'application/json; charset=utf-8']) };
  }
}

function patchBody(): { data: string | Buffer; type: string } {
  const type = pick(['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'text/html']);
  switch (Math.floor(rnd() * 5)) {
    case 0: return { data: JSON.stringify({ metadata: { name: 'Other_Name' } }), type };
    case 1: return { data: JSON.stringify(pick([[{ op: pick(['move', 'copy', 'bogus', 'remove', 'test']), path: '/nope/x', from: '/nope/y', value: weird() }], [{ op: 'replace', path: '/metadata/name', value: 'Bad_Name' }], [{ op: 'add', path: '/metadata/labels', value: { 'bad key!': 'v' } }], { metadata: { name: 'renamed' } }])), type };
    case 2: return { data: JSON.stringify({ spec: { containers: weird() ?? 1, replicas: weird() ?? 'x' }, metadata: { labels: { 'bad key!': String(weird()) } } }), type };
    case 3: return { data: deep(1 + Math.floor(rnd() * 50_000)), type };
    default: return { data: JSON.stringify({ kind: 'Other', apiVersion: 'x/y', metadata: { uid: weird(), name: 'Zz' } }), type };
  }
}

async function snapshot(): Promise<string> {
  const parts: string[] = [];
  for (const c of collections) {
    const list = await (await fetch(srv.url + c)).json();
    parts.push(...(list.items ?? []).map((o: any) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`));
  }
  return parts.sort().join('\n');
}

test('10,000 malformed creates and patches: every answer a 4xx Status, server up, store unchanged', async () => {
  // Objects to patch.
  for (const [path, obj] of [['/api/v1/namespaces/default/configmaps', base.configmaps!()], ['/apis/apps/v1/namespaces/default/deployments', base.deployments!()], ['/api/v1/namespaces/default/pods', base.pods!()]] as const) {
    assert.equal((await fetch(srv.url + path, { method: 'POST', body: JSON.stringify(obj) })).status, 201);
  }
  const before = await snapshot();
  const targets = ['/api/v1/namespaces/default/configmaps/cm', '/apis/apps/v1/namespaces/default/deployments/d', '/api/v1/namespaces/default/pods/p'];
  const failures: string[] = [];
  const total = Number(process.env.TSKUBE_FUZZ_N ?? 10_000);
  for (let i = 0; i < total; i += 20) {
    await Promise.all(Array.from({ length: 20 }, async (_, j) => {
      const isPatch = (i + j) % 3 === 0;
      const b = isPatch ? patchBody() : body();
      const url = srv.url + (isPatch ? pick(targets) : pick(collections));
      const res = await fetch(url, { method: isPatch ? "PATCH" : "POST", headers: { "content-type": b.type }, body: b.data as BodyInit });
      const text = await res.text();
      let status: any;
      try { status = JSON.parse(text); } catch { /* not JSON */ }
      if (res.status < 400 || res.status >= 500 || status?.kind !== 'Status') {
        failures.push(`${isPatch ? 'PATCH' : 'POST'} ${url} [${b.type}] ${String(b.data).slice(0, 120)} → ${res.status} ${text.slice(0, 160)}`);
      }
    }));
  }
  assert.ok((await fetch(`${srv.url}/readyz`)).ok, 'server still up');
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${total} answers were not a 4xx Status (seed ${seed})`);
  assert.equal(await snapshot(), before, 'store unchanged');
});
