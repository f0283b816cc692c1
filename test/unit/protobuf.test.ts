// Protobuf request bodies: the bodies real kubectl 1.32 sent (captured with
// scripts/openapi/capture-protobuf.ts into test/unit/fixtures/protobuf/) decode to the JSON
// kubectl would have sent; special types and embedded structs convert; bad bodies are 400s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtobuf, messageType, protoRoot } from '../../control/api/protobuf/index.js';
import { StatusError } from '../../control/api/status.js';
import { repoRoot } from '../helpers/server.js';

const CT = 'application/vnd.kubernetes.protobuf';
const fixture = (name: string) => decodeProtobuf(readFileSync(join(repoRoot, 'test/unit/fixtures/protobuf', `${name}.pb`)), CT);

/** Wraps an object message in the envelope kubectl sends. */
function envelope(apiVersion: string, kind: string, obj: Record<string, unknown>): Buffer {
  const raw = messageType(apiVersion, kind)!.encode(messageType(apiVersion, kind)!.fromObject(obj)).finish();
  const unknown = protoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw })).finish()]);
}

test('kubectl create configmap / secret generic / secret docker-registry', () => {
  assert.deepEqual(fixture('configmap'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { a: 'b', c: 'd' } });
  assert.deepEqual(fixture('secret-generic'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { pw: 'cEBzcw==', user: 'YWRtaW4=' } });
  const reg = fixture('secret-docker-registry') as { type: string; data: Record<string, string> };
  assert.equal(reg.type, 'kubernetes.io/dockerconfigjson');
  assert.deepEqual(JSON.parse(Buffer.from(reg.data['.dockerconfigjson'], 'base64').toString()).auths['r.example'].username, 'u');
});

test('kubectl create deployment: spec as JSON would carry it, zero values omitted', () => {
  assert.deepEqual(fixture('deployment'), {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'web' } }, strategy: {},
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] } },
    },
    status: {},
  });
  const multi = fixture('deployment-two-images') as { spec: { template: { spec: { containers: Array<{ name: string }> } } } };
  assert.deepEqual(multi.spec.template.spec.containers.map((c) => c.name), ['nginx', 'busybox']);
});

test('kubectl create service: int-or-string targetPort, nodePort only when given', () => {
  const cip = fixture('service-clusterip') as { spec: { ports: unknown[]; type: string } };
  assert.equal(cip.spec.type, 'ClusterIP');
  assert.deepEqual(cip.spec.ports, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
  const np = fixture('service-nodeport') as { spec: { ports: Array<{ nodePort: number }> } };
  assert.equal(np.spec.ports[0].nodePort, 30080);
  assert.equal((fixture('service-externalname') as { spec: { externalName: string } }).spec.externalName, 'example.com');
});

test('kubectl create namespace / job / serviceaccount / quota / pdb', () => {
  assert.deepEqual(fixture('namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' }, spec: {}, status: {} });
  const job = fixture('job') as { spec: { template: { spec: { containers: Array<{ command: string[] }>; restartPolicy: string } } } };
  assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  assert.deepEqual(fixture('serviceaccount'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1' } });
  assert.deepEqual((fixture('resourcequota') as { spec: unknown }).spec, { hard: { cpu: '2', pods: '10' } });
  assert.equal((fixture('pdb-min-available') as { spec: { minAvailable: unknown } }).spec.minAvailable, 1);
  assert.equal((fixture('pdb-max-unavailable') as { spec: { maxUnavailable: unknown } }).spec.maxUnavailable, '50%');
});

test('kubectl auth can-i, create token, rbac and scheduling kinds', () => {
  assert.deepEqual((fixture('selfsubjectaccessreview') as { spec: unknown }).spec, { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } });
  assert.equal((fixture('tokenrequest') as { kind: string }).kind, 'TokenRequest');
  assert.deepEqual((fixture('role') as { rules: unknown }).rules, [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]);
  assert.deepEqual((fixture('rolebinding') as { roleRef: unknown }).roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r1' });
  assert.equal((fixture('priorityclass') as { value: number }).value, 100);
});

test('embedded structs flatten, times become RFC 3339, explicit zeros that matter stay', () => {
  const pod = decodeProtobuf(envelope('v1', 'Pod', {
    metadata: { name: 'p', creationTimestamp: { seconds: 1700000000 }, generation: 0 },
    spec: {
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsUser: 0 },
      volumes: [{ name: 'cfg', volumeSource: { configMap: { localObjectReference: { name: 'cm1' }, defaultMode: 420 } } }],
      containers: [{
        name: 'c', image: 'nginx', stdin: false,
        readinessProbe: { handler: { httpGet: { path: '/', port: { type: 1, strVal: 'http' } } }, periodSeconds: 5 },
        env: [{ name: 'K', valueFrom: { secretKeyRef: { localObjectReference: { name: 's1' }, key: 'pw' } } }],
      }],
    },
  }), CT) as Record<string, any>;
  assert.deepEqual(pod.metadata, { name: 'p', creationTimestamp: '2023-11-14T22:13:20Z' });
  assert.equal(pod.spec.terminationGracePeriodSeconds, 0);
  assert.deepEqual(pod.spec.securityContext, { runAsUser: 0 });
  assert.deepEqual(pod.spec.volumes, [{ name: 'cfg', configMap: { name: 'cm1', defaultMode: 420 } }]);
  const c = pod.spec.containers[0];
  assert.equal('stdin' in c, false);
  assert.deepEqual(c.readinessProbe, { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 });
  assert.deepEqual(c.env, [{ name: 'K', valueFrom: { secretKeyRef: { name: 's1', key: 'pw' } } }]);
});

test('policy/v1 Eviction with DeleteOptions (kubectl drain)', () => {
  const ev = decodeProtobuf(envelope('policy/v1', 'Eviction', { metadata: { name: 'p', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 0 } }), CT);
  assert.deepEqual(ev, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 0 } });
});

test('an envelope may carry JSON', () => {
  const unknown = protoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown.encode(unknown.fromObject({
    typeMeta: { apiVersion: 'v1', kind: 'ConfigMap' }, contentType: 'application/json', raw: Buffer.from('{"metadata":{"name":"j"}}'),
  })).finish()]);
  assert.deepEqual(decodeProtobuf(body, CT), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } });
});

test('bad bodies are 4xx Status errors, never crashes', () => {
  const status = (body: Buffer, ct = CT) => {
    try { decodeProtobuf(body, ct); return 0; } catch (err) {
      assert.ok(err instanceof StatusError, `not a StatusError: ${err}`);
      return err.code;
    }
  };
  assert.equal(status(Buffer.from('{"kind":"Pod"}')), 400);
  assert.equal(status(Buffer.from('k8s\0\x0a\xff\xff', 'latin1')), 400);
  assert.equal(status(envelope('v1', 'ConfigMap', {}), 'application/x-protobuf'), 415);
  assert.equal(status(envelopeOf('v9', 'Nope')), 400);
  const good = readFileSync(join(repoRoot, 'test/unit/fixtures/protobuf/deployment.pb'));
  assert.equal(status(good.subarray(0, good.length - 20)), 400);
  // Random and bit-flipped bodies: either decode to an object or fail with a 4xx.
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(good);
    for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) b[4 + Math.floor(rnd() * (b.length - 4))] = Math.floor(rnd() * 256);
    const code = status(i % 3 === 0 ? Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)))]) : b);
    assert.ok(code === 0 || (code >= 400 && code < 500), `code ${code}`);
  }
});

function envelopeOf(apiVersion: string, kind: string): Buffer {
  const unknown = protoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw: Buffer.alloc(0) })).finish()]);
}
