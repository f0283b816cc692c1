// X.509 for the cluster PKI: a self-signed CA and certificates it signs (client, server or
// both), built with @peculiar/x509 over Node's WebCrypto. Keys are ECDSA P-256, PEM PKCS#8.
// Identity follows Kubernetes: subject CN = user name, each O = one group.
import 'reflect-metadata';
import { webcrypto, randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface KeyPairPem { cert: string; key: string }
export interface CertSpec {
  cn: string;
  /** Groups (subject O), one O per group. */
  o?: string[];
  /** DNS names and IP addresses (subjectAltName), mixed; IPs are recognised. */
  sans?: string[];
  usage: 'client' | 'server' | 'both';
  days?: number;
  /** Backdate/expire for tests (defaults: now − 5 min, now + days). */
  notBefore?: Date;
  notAfter?: Date;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

const subjectOf = (cn: string, o: string[] = []): x509.JsonName => [...o.map((g) => ({ O: [g] })), { CN: [cn] }];
const serial = () => '01' + randomBytes(15).toString('hex'); // positive, 16 bytes

async function keyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function exportKey(k: CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', k));
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  const der = Buffer.from(keyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']) as Promise<CryptoKey>;
}

/** A self-signed CA (CN kubernetes by default, as kubeadm names it). */
export async function createCA(cn = 'kubernetes', days = 3650): Promise<KeyPairPem> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: subjectOf(cn), keys, signingAlgorithm: SIGN,
    notBefore: new Date(Date.now() - 5 * 60_000), notAfter: new Date(Date.now() + days * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

/** A certificate signed by `ca` for spec's identity and usage. */
export async function issue(ca: KeyPairPem, spec: CertSpec): Promise<KeyPairPem> {
  if (!spec.cn) throw new Error('a certificate needs a common name (CN)');
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = await keyPair();
  const eku = spec.usage === 'client' ? [x509.ExtendedKeyUsage.clientAuth]
    : spec.usage === 'server' ? [x509.ExtendedKeyUsage.serverAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(eku),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  const sans = [...new Set(spec.sans ?? [])];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans.map((v) => ({ type: isIP(v) ? 'ip' as const : 'dns' as const, value: v }))));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: subjectOf(spec.cn, spec.o), issuer: caCert.subjectName,
    notBefore: spec.notBefore ?? new Date(Date.now() - 5 * 60_000),
    notAfter: spec.notAfter ?? new Date(Date.now() + (spec.days ?? 365) * DAY),
    signingAlgorithm: SIGN, publicKey: keys.publicKey, signingKey: caKey, extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

/** CN and O of a PEM certificate (what the API server will authenticate it as). */
export function identityOf(certPem: string): { cn: string; o: string[]; notAfter: Date; issuer: string; sans: string[] } {
  const c = new NodeX509(certPem);
  const parts = c.subject.split('\n');
  const val = (k: string) => parts.filter((p) => p.startsWith(`${k}=`)).map((p) => p.slice(k.length + 1));
  return { cn: val('CN')[0] ?? '', o: val('O'), notAfter: new Date(c.validTo), issuer: c.issuer, sans: (c.subjectAltName ?? '').split(', ').filter(Boolean) };
}

/** Does `ca` sign certPem? (Node's own verification, not ours.) */
export function signedBy(certPem: string, caPem: string): boolean {
  try { return new NodeX509(certPem).verify(new NodeX509(caPem).publicKey); } catch { return false; }
}
