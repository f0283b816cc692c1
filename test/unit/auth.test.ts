// Authentication pieces without a server: request attributes as upstream's RequestInfo, the
// static token file, service-account JWTs, aesgcm at rest, the audit policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { requestAttributes } from '../../control/api/auth/request-info.js';
import { parseTokenFile, TokenFileAuthenticator } from '../../control/api/auth/token-file.js';
import { ServiceAccountAuthenticator, TokenSigner } from '../../control/api/auth/serviceaccount-token.js';
import { encryptionTransformer, parseEncryptionConfig } from '../../control/api/encryption.js';
import { encryptionConfigYaml } from '../../control/pki/layout.js';
import { levelFor, parsePolicy } from '../../control/api/auth/audit.js';
import { ANONYMOUS } from '../../control/api/auth/types.js';

const u = ANONYMOUS;

test('request attributes: verbs, namespaces, subresources, non-resource paths', () => {
  const a = (m: string, url: string) => { const x = requestAttributes(u, m, url); return [x.verb, x.namespace, x.apiGroup, x.resource, x.name, x.subresource, x.path]; };
  assert.deepEqual(a('GET', '/api/v1/namespaces/default/pods'), ['list', 'default', '', 'pods', undefined, undefined, undefined]);
  assert.deepEqual(a('GET', '/api/v1/namespaces/default/pods?watch=true'), ['watch', 'default', '', 'pods', undefined, undefined, undefined]);
  assert.deepEqual(a('DELETE', '/apis/apps/v1/namespaces/x/deployments'), ['deletecollection', 'x', 'apps', 'deployments', undefined, undefined, undefined]);
  assert.deepEqual(a('PATCH', '/apis/apps/v1/namespaces/x/deployments/web/scale'), ['patch', 'x', 'apps', 'deployments', 'web', 'scale', undefined]);
  assert.deepEqual(a('GET', '/api/v1/namespaces/kube-system'), ['get', 'kube-system', '', 'namespaces', 'kube-system', undefined, undefined]);
  assert.deepEqual(a('PUT', '/api/v1/namespaces/x/finalize'), ['update', 'x', '', 'namespaces', 'x', 'finalize', undefined]);
  assert.deepEqual(a('GET', '/api/v1/nodes'), ['list', undefined, '', 'nodes', undefined, undefined, undefined]);
  assert.deepEqual(a('GET', '/api/v1/namespaces/d/secrets?fieldSelector=metadata.name%3Ds1'), ['list', 'd', '', 'secrets', 's1', undefined, undefined]);
  assert.deepEqual(a('GET', '/healthz'), ['get', undefined, undefined, undefined, undefined, undefined, '/healthz']);
  assert.deepEqual(a('GET', '/apis'), ['get', undefined, undefined, undefined, undefined, undefined, '/apis']);
  assert.deepEqual(a('POST', '/api/v1/namespaces/d/serviceaccounts/robot/token'), ['create', 'd', '', 'serviceaccounts', 'robot', 'token', undefined]);
  // What follows a subresource is its path: nodes/proxy, as upstream's RequestInfo.
  assert.deepEqual(a('GET', '/api/v1/nodes/worker-1/proxy/stats/summary'), ['get', undefined, '', 'nodes', 'worker-1', 'proxy', undefined]);
});

test('token file: upstream CSV with quoted groups; malformed lines name their line', async () => {
  const t = parseTokenFile('# comment\nabc,alice,1,"a,b"\ndef,bob,2\n');
  assert.deepEqual(t.get('abc'), { username: 'alice', uid: '1', groups: ['a', 'b'] });
  const auth = new TokenFileAuthenticator(t);
  assert.equal((auth.authenticateToken('def') as { user: { username: string } }).user.username, 'bob');
  assert.equal(auth.authenticateToken('nope'), undefined);
  assert.throws(() => parseTokenFile('x,y,1\nonlytoken\n', 'tokens.csv'), /tokens.csv:2: want token,user,uid/);
  assert.throws(() => parseTokenFile('x,y,1\nx,z,2\n'), /:2: duplicate token/);
  assert.throws(() => parseTokenFile('x,y,1,"open'), /unterminated quote/);
});

test('service-account JWTs: valid, expired, other key, other audience, tampered, RSA', async () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = new TokenSigner(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const authn = new ServiceAccountAuthenticator([ec.publicKey], signer.issuer, [signer.issuer]);
  const claims = { namespace: 'ns', sa: { name: 'sa', uid: 'u1' }, audiences: [signer.issuer], seconds: 600, bound: { kind: 'Pod' as const, name: 'p', uid: 'pu' } };
  const ok = await authn.authenticateToken(signer.issue(claims).token);
  assert.ok(ok && 'user' in ok);
  assert.equal(ok.user.username, 'system:serviceaccount:ns:sa');
  assert.deepEqual(ok.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns']);
  assert.deepEqual(ok.user.extra!['authentication.kubernetes.io/pod-uid'], ['pu']);
  const err = async (t: string, re: RegExp) => { const r = await authn.authenticateToken(t); assert.ok(r && 'error' in r, t); assert.match(r.error, re); };
  await err(signer.issue({ ...claims, now: Date.now() - 7200_000 }).token, /expired/);
  await err(signer.issue({ ...claims, audiences: ['vault'] }).token, /audiences/);
  const other = new TokenSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  await err(other.issue(claims).token, /signature/);
  const t = signer.issue(claims).token.split('.');
  await err(`${t[0]}.${t[1]}x.${t[2]}`, /signature|malformed/);
  assert.equal(await authn.authenticateToken('opaque-token'), undefined, 'not a JWT: another authenticator may know it');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rs = new TokenSigner(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const rsAuth = new ServiceAccountAuthenticator([rsa.publicKey], rs.issuer, [rs.issuer]);
  assert.ok('user' in ((await rsAuth.authenticateToken(rs.issue(claims).token)) ?? {}));
  assert.match(JSON.parse(Buffer.from(rs.issue(claims).token.split('.')[0]!, 'base64url').toString()).alg, /RS256/);
});

test('aesgcm at rest: upstream prefix, key name, bound to the storage key; identity passes through; bad configs refused', () => {
  const tr = encryptionTransformer(parseEncryptionConfig(encryptionConfigYaml('key1')));
  const key = '/registry/secrets/default/s';
  const sealed = tr.toStorage(key, '{"data":{"p":"aHVudGVyMg=="}}');
  assert.ok(sealed.startsWith('k8s:enc:aesgcm:v1:key1:'));
  assert.ok(!sealed.includes('aHVudGVyMg'));
  assert.equal(tr.fromStorage(key, sealed), '{"data":{"p":"aHVudGVyMg=="}}');
  assert.throws(() => tr.fromStorage('/registry/secrets/default/other', sealed), /cannot decrypt/);
  assert.notEqual(tr.toStorage(key, 'x'), tr.toStorage(key, 'x'), 'a fresh nonce each write');
  assert.equal(tr.toStorage('/registry/configmaps/default/c', '{}'), '{}');
  assert.equal(tr.fromStorage(key, '{"legacy":true}'), '{"legacy":true}', 'plain values written before encryption still read');
  const otherKey = encryptionTransformer(parseEncryptionConfig(encryptionConfigYaml('key2')));
  assert.throws(() => otherKey.fromStorage(key, sealed), /no key named/);
  assert.throws(() => parseEncryptionConfig('kind: Foo'), /kind must be EncryptionConfiguration/);
  assert.throws(() => parseEncryptionConfig(encryptionConfigYaml('k', Buffer.alloc(7).toString('base64'))), /16, 24 or 32 bytes/);
  assert.throws(() => parseEncryptionConfig('kind: EncryptionConfiguration\nresources: [{resources: [secrets], providers: [{kms: {}}]}]'), /unsupported provider/);
});

test('audit policy: first matching rule wins; None drops; malformed policies refused', () => {
  const rules = parsePolicy(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: Metadata
    resources: [{group: "", resources: [secrets]}]
  - level: Request
`);
  const at = (m: string, url: string) => levelFor(rules, requestAttributes(u, m, url));
  assert.equal(at('GET', '/healthz'), 'None');
  assert.equal(at('GET', '/api/v1/namespaces/d/secrets/x'), 'Metadata');
  assert.equal(at('POST', '/api/v1/namespaces/d/pods'), 'Request');
  assert.throws(() => parsePolicy('kind: Policy\nrules: [{level: Loud}]'), /level must be one of/);
  assert.throws(() => parsePolicy('kind: Policy\nrules: []'), /at least one rule/);
});
