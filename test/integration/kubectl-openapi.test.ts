// The real kubectl against a tskube server with default strict validation: apply (create and
// an edited re-apply) without --validate=false, unknown fields refused server-side with
// nothing stored, and `kubectl explain` — on kubectl 1.32 and on 1.27–1.33 beside it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startServer, kubectl, type RunResult, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports: [{containerPort: 80}]
        resources: {limits: {cpu: 500m, memory: 128Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {mode: blue}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [echo, hi]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: busybox}]
`;

/** Runs another kubectl version with the same kubeconfig and its own cache dir. */
function run(bin: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((res) => {
    const child = execFile(bin, ['--kubeconfig', srv.kubeconfig, '--cache-dir', join(srv.dir, `.kcache-${basename(bin)}`), ...args],
      { timeout: 60_000 }, (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

test('kubectl apply works with default strict validation, and re-applies an edit', async () => {
  const first = await kubectl(srv.kubeconfig, ['apply', '-f', '-'], manifests);
  assert.equal(first.code, 0, first.stderr);
  for (const o of ['deployment.apps/web', 'service/web', 'configmap/web-config', 'job.batch/once', 'daemonset.apps/agent']) assert.match(first.stdout, new RegExp(`${o} created`));
  const edited = manifests.replace('replicas: 2', 'replicas: 3').replace('ports: [{containerPort: 80}]', 'ports: [{containerPort: 80}, {containerPort: 443}]').replace('mode: blue', 'mode: green');
  const second = await kubectl(srv.kubeconfig, ['apply', '-f', '-'], edited);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /deployment.apps\/web configured/);
  assert.match(second.stdout, /service\/web unchanged/);
  const dep = JSON.parse((await kubectl(srv.kubeconfig, ['get', 'deploy', 'web', '-o', 'json'])).stdout);
  assert.equal(dep.spec.replicas, 3);
  assert.deepEqual(dep.spec.template.spec.containers[0].ports.map((p: { containerPort: number }) => p.containerPort), [80, 443]);
  assert.equal((await kubectl(srv.kubeconfig, ['get', 'cm', 'web-config', '-o', 'jsonpath={.data.mode}'])).stdout, 'green');
});

test('an unknown field is refused with the strict decoding error and nothing is stored', async () => {
  const bad = `apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replicas: 1
  replicass: 2
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec:
      containers: [{name: c, image: nginx, imagePullPolicyy: Always}]
`;
  for (const verb of ['apply', 'create']) {
    const r = await kubectl(srv.kubeconfig, [verb, '-f', '-'], bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "spec.replicass", unknown field "spec.template.spec.containers\[0\].imagePullPolicyy"/);
  }
  const get = await kubectl(srv.kubeconfig, ['get', 'deploy', 'typo']);
  assert.match(get.stderr, /NotFound/);
  // Asked not to validate, kubectl sends fieldValidation=Ignore and the object is created.
  const ignored = await kubectl(srv.kubeconfig, ['apply', '--validate=false', '-f', '-'], bad);
  assert.equal(ignored.code, 0, ignored.stderr);
});

test('kubectl explain answers from the OpenAPI v3 schemas', async () => {
  const c = await kubectl(srv.kubeconfig, ['explain', 'pod.spec.containers']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /FIELD: containers <\[\]Container>/);
  assert.match(c.stdout, /List of containers belonging to the pod/);
  assert.match(c.stdout, /image\t<string>/);
  const s = await kubectl(srv.kubeconfig, ['explain', 'deployment.spec.strategy']);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /GROUP:\s+apps/);
  assert.match(s.stdout, /rollingUpdate\t<RollingUpdateDeployment>/);
  const t = await kubectl(srv.kubeconfig, ['explain', 'svc.spec.ports.targetPort']);
  assert.match(t.stdout, /targetPort <IntOrString>/);
});

// 1.27 reads /openapi/v2 in protobuf for validation; 1.28+ read /openapi/v3.
for (const version of ['1.27', '1.28', '1.29', '1.30', '1.31', '1.33']) {
  const bin = `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
  const why = existsSync(bin) ? false : `${bin} is not installed`;
  test(`kubectl ${version}: apply with strict validation and explain`, { skip: why }, async () => {
    const ns = `v${version.replace('.', '')}`;
    assert.equal((await run(bin, ['create', 'namespace', ns])).code, 0);
    const r = await run(bin, ['apply', '-n', ns, '-f', '-'], manifests);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/web created/);
    const bad = await run(bin, ['apply', '-n', ns, '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndataa: {a: b}\n');
    assert.match(bad.stderr, /unknown field "dataa"/);
    const e = await run(bin, ['explain', 'deployment.spec.strategy']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /rollingUpdate/);
  });
}
