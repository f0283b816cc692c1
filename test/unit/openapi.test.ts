// OpenAPI: the generated schemas (every served kind, descriptions, upstream list semantics,
// reproducible from kubernetes-types), the per group-version documents kubectl reads, and
// the strict unknown-field check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allResources, deployments, pods, services } from '../../control/api/resources/index.js';
import { definitionFor, definitions, resolve, unknownFields } from '../../control/api/openapi/index.js';
import { groupVersionDocs, pathsIndex } from '../../control/api/openapi/documents.js';
import { swaggerV2 } from '../../control/api/openapi/v2.js';
import { swaggerV2Proto } from '../../control/api/openapi/v2-proto.js';
import protobuf from 'protobufjs';
import { repoRoot } from '../helpers/server.js';

test('every served kind has a schema with its group-version-kind and a description', () => {
  for (const d of allResources) {
    const name = definitionFor({ group: d.group, version: d.version, kind: d.kind });
    assert.ok(name, `no schema for ${d.group}/${d.version} ${d.kind}`);
    const s = definitions()[name!];
    assert.ok(s.description, `${name} has no description`);
    assert.ok(s.properties.metadata, `${name} has no metadata`);
    assert.ok(definitionFor({ group: d.group, version: d.version, kind: `${d.kind}List` }), `no list schema for ${d.kind}`);
  }
  for (const [g, v, k] of [['autoscaling', 'v1', 'Scale'], ['policy', 'v1', 'Eviction'], ['', 'v1', 'Binding'], ['', 'v1', 'Status']]) {
    assert.ok(definitionFor({ group: g, version: v, kind: k }), `no schema for ${k}`);
  }
});

test('schemas carry upstream types: int-or-string, quantities, times, maps, required fields', () => {
  const defs = definitions();
  const port = defs['io.k8s.api.core.v1.ServicePort'].properties;
  assert.equal(resolve(port.targetPort)!.format, 'int-or-string');
  assert.equal(resolve(port.targetPort)!['x-kubernetes-int-or-string'], true);
  assert.deepEqual(defs['io.k8s.api.core.v1.ServicePort'].required, ['port']);
  const limits = defs['io.k8s.api.core.v1.ResourceRequirements'].properties.limits;
  assert.equal(limits.type, 'object');
  assert.match(limits.additionalProperties.allOf[0].$ref, /resource\.Quantity$/);
  const created = resolve(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp)!;
  assert.deepEqual([created.type, created.format], ['string', 'date-time']);
  assert.match(defs['io.k8s.api.core.v1.Container'].properties.image.description, /Container image name/);
  assert.deepEqual(defs['io.k8s.api.apps.v1.DeploymentSpec'].required, ['selector', 'template']);
});

test('list semantics match upstream: merge keys, patch strategies, list-map keys', () => {
  const defs = definitions();
  const containers = defs['io.k8s.api.core.v1.PodSpec'].properties.containers;
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  const ports = defs['io.k8s.api.core.v1.ServiceSpec'].properties.ports;
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  assert.equal(defs['io.k8s.api.core.v1.PodSpec'].properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.finalizers['x-kubernetes-list-type'], 'set');
});

test('schemas.json is what the generator produces from the installed kubernetes-types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-gen-'));
  try {
    const out = join(dir, 'schemas.json');
    execFileSync(process.execPath, [join(repoRoot, 'dist/scripts/openapi/generate.js'), out], { stdio: 'pipe' });
    assert.equal(readFileSync(out, 'utf8'), readFileSync(join(repoRoot, 'control/api/openapi/schemas.json'), 'utf8'),
      'control/api/openapi/schemas.json is stale: run node dist/scripts/openapi/generate.js');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/openapi/v3 index lists every served group-version with a content hash', () => {
  const idx = pathsIndex().paths;
  const want = new Set(allResources.map((d) => (d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`)));
  assert.deepEqual(new Set(Object.keys(idx)), want);
  for (const [key, { serverRelativeURL }] of Object.entries(idx)) {
    assert.match(serverRelativeURL, new RegExp(`^/openapi/v3/${key}\\?hash=[0-9A-F]{128}$`));
  }
});

test('PATCH operations name their kind and take fieldValidation (kubectl then validates server-side)', () => {
  const apps = groupVersionDocs().get('apis/apps/v1')!.doc;
  const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.ok(patch.parameters.some((p: { name: string; in: string }) => p.name === 'fieldValidation' && p.in === 'query'));
  for (const doc of [...groupVersionDocs().values()].map((d) => d.doc)) {
    for (const item of Object.values(doc.paths) as Array<Record<string, any>>) {
      if (item.patch) assert.ok(item.patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
    }
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[\w.-]+/g) ?? [];
    for (const r of refs) assert.ok(doc.components.schemas[r.split('/').pop()!], `dangling ${r}`);
  }
  const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch;
  assert.deepEqual(scale['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
});

test('/openapi/v2 is Swagger 2.0 with #/definitions refs', () => {
  const v2 = JSON.parse(swaggerV2().body);
  assert.equal(v2.swagger, '2.0');
  assert.ok(v2.definitions['io.k8s.api.core.v1.Pod']);
  assert.ok(!swaggerV2().body.includes('#/components/'));
  assert.equal(v2.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
});

test('/openapi/v2 in gnostic protobuf carries GVK extensions and fieldValidation on PATCH (kubectl 1.27)', () => {
  const Document = new protobuf.Root().loadSync(join(repoRoot, 'proto/k8s/openapiv2/OpenAPIv2.proto'), { keepCase: true }).lookupType('openapi.v2.Document');
  const doc = Document.toObject(Document.decode(swaggerV2Proto())) as Record<string, any>;
  assert.equal(doc.swagger, '2.0');
  const item = doc.paths.path.find((p: { name: string }) => p.name === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}').value;
  const gvk = item.patch.vendor_extension.find((e: { name: string }) => e.name === 'x-kubernetes-group-version-kind');
  assert.deepEqual(JSON.parse(gvk.value.yaml), { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.ok(item.patch.parameters.some((p: any) => p.parameter?.non_body_parameter?.query_parameter_sub_schema?.name === 'fieldValidation'));
  const pod = doc.definitions.additional_properties.find((d: { name: string }) => d.name === 'io.k8s.api.core.v1.Pod').value;
  assert.equal(pod.properties.additional_properties.find((p: { name: string }) => p.name === 'spec').value._ref, '#/definitions/io.k8s.api.core.v1.PodSpec');
});

test('unknownFields names unknown fields by path, nested in objects and lists', () => {
  const dep = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', labels: { any: 'label' } },
    spec: {
      replicass: 2, selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }, { name: 'd', imagee: 'nginx', ports: [{ containerPort: 80, hostport: 1 }] }] } },
    },
  };
  assert.deepEqual(unknownFields(deployments, dep), [
    'spec.replicass', 'spec.template.spec.containers[1].imagee', 'spec.template.spec.containers[1].ports[0].hostport',
  ]);
  assert.deepEqual(unknownFields(deployments, { ...dep, status: { replicas: 1, bogus: true } }).slice(-1), ['status.bogus']);
});

test('unknownFields accepts valid objects, maps, int-or-string, quantities and preserved fields', () => {
  assert.deepEqual(unknownFields(services, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's', annotations: { 'a/b': 'c' } },
    spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8080 }] },
  }), []);
  assert.deepEqual(unknownFields(pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'x', fieldsV1: { 'f:spec': {} }, bogus: 1 }] },
    spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1', memory: 1024 } } }] },
  }), []);
  assert.deepEqual(unknownFields(pods, null), []);
  assert.deepEqual(unknownFields(pods, 'not an object'), []);
});

test('unknownFields checks a subresource body against its own kind (Eviction, Binding)', () => {
  assert.deepEqual(unknownFields(pods, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' }, deleteOptions: { gracePeriodSeconds: 0 } }), []);
  assert.deepEqual(unknownFields(pods, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'n', nodee: 1 } }), ['target.nodee']);
});

test('unknownFields survives hostile nesting', () => {
  let deep: Record<string, unknown> = {};
  const top = deep;
  for (let i = 0; i < 10_000; i++) { const next = {}; deep.metadata = next; deep = next; }
  assert.deepEqual(unknownFields(pods, { spec: { containers: [top] } }), ['spec.containers[0].metadata']);
});
