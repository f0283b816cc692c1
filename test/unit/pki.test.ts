// The cluster PKI: certificates carry the identity Kubernetes reads (CN user, O groups), SANs and
// usages; kubeconfigs round-trip; bad kubeconfigs fail with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createCA, identityOf, issue, signedBy } from '../../control/pki/certs.js';
import { initPki } from '../../control/pki/layout.js';
import { kubeconfigYaml } from '../../control/pki/kubeconfig.js';
import { loadKubeconfig, parseKubeconfig } from '../../control/client/kubeconfig.js';

test('initPki lays out the CA, component and kubelet certificates and kubeconfigs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-pki-'));
  try {
    const f = await initPki({ dir, server: 'https://192.168.56.10:6443', masterIps: ['192.168.56.10'], nodes: [{ name: 'worker-1', ip: '192.168.56.11' }] });
    const ca = readFileSync(f.ca, 'utf8');
    assert.ok(new X509Certificate(ca).ca);
    const api = identityOf(readFileSync(f.apiserverCert, 'utf8'));
    for (const san of ['DNS:kubernetes.default.svc', 'IP Address:10.96.0.1', 'IP Address:192.168.56.10', 'IP Address:127.0.0.1']) assert.ok(api.sans.includes(san), san);
    const kubelet = identityOf(readFileSync(f.kubeletCert('worker-1'), 'utf8'));
    assert.deepEqual([kubelet.cn, kubelet.o], ['system:node:worker-1', ['system:nodes']]);
    assert.ok(kubelet.sans.includes('IP Address:192.168.56.11'));
    const admin = loadKubeconfig(f.kubeconfig('admin'));
    assert.equal(admin.server, 'https://192.168.56.10:6443');
    assert.equal(admin.ca, ca);
    assert.deepEqual(identityOf(admin.cert!).o, ['system:masters']);
    assert.ok(signedBy(admin.cert!, ca));
    assert.equal(identityOf(loadKubeconfig(f.kubeconfig('kube-scheduler')).cert!).cn, 'system:kube-scheduler');
    assert.equal((await import('node:fs')).statSync(f.caKey).mode & 0o777, 0o600, 'private keys are 0600');
    assert.match(readFileSync(f.encryptionConfig, 'utf8'), /aesgcm:/);
    // reuse keeps the CA
    const again = await initPki({ dir, server: 'https://192.168.56.10:6443', masterIps: ['192.168.56.10'], nodes: [], reuse: true });
    assert.equal(readFileSync(again.ca, 'utf8'), ca);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('certificates: several groups, usages, a foreign CA does not verify', async () => {
  const ca = await createCA('test-ca');
  const kp = await issue(ca, { cn: 'jane', o: ['dev', 'qa'], usage: 'client' });
  assert.deepEqual(identityOf(kp.cert).o.sort(), ['dev', 'qa']);
  assert.ok(signedBy(kp.cert, ca.cert));
  assert.ok(!signedBy(kp.cert, (await createCA('test-ca')).cert));
  assert.match(new X509Certificate(kp.cert).subject, /CN=jane/);
  assert.match(String(new X509Certificate(kp.cert).keyUsage), /1.3.6.1.5.5.7.3.2/, 'clientAuth');
  await assert.rejects(issue(ca, { cn: '', usage: 'client' }), /common name/);
  assert.ok(!signedBy('garbage', ca.cert));
});

test('kubeconfig: inline data and file references; clear errors for broken files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-kc-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), 'CA-PEM');
    const text = 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://h:6443/", certificate-authority: ca.crt}}]\nusers: [{name: u, user: {token: abc}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n';
    const c = parseKubeconfig(text, dir);
    assert.deepEqual([c.server, c.ca, c.token], ['https://h:6443', 'CA-PEM', 'abc']);
    const y = parseKubeconfig(kubeconfigYaml({ server: 'https://a:1', caPem: 'X', user: 'u', certPem: 'C', keyPem: 'K' }));
    assert.deepEqual([y.ca, y.cert, y.key], ['X', 'C', 'K']);
    assert.throws(() => parseKubeconfig('clusters: [', dir), /not valid YAML/);
    assert.throws(() => parseKubeconfig(text.replace('current-context: x', 'current-context: nope'), dir), /context "nope" not found/);
    assert.throws(() => parseKubeconfig(text.replace('ca.crt', 'missing.crt'), dir), /cannot read certificate-authority missing.crt/);
    assert.throws(() => loadKubeconfig(join(dir, 'nope')), /cannot read kubeconfig/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
