// Secrets at rest (--encryption-provider-config), an EncryptionConfiguration as upstream reads
// it: per resource an ordered list of providers; the first one writes, every one can read.
// aesgcm stores `k8s:enc:aesgcm:v1:<key name>:` + base64(nonce ‖ ciphertext ‖ tag), the
// storage key as additional data (a value moved to another key does not decrypt); identity
// stores plain JSON. (Upstream stores the sealed bytes raw; our store keeps text, hence base64.)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ValueTransformer {
  toStorage(key: string, plain: string): string;
  fromStorage(key: string, stored: string): string;
}

type Provider = { kind: 'aesgcm'; keys: Array<{ name: string; secret: Buffer }> } | { kind: 'identity' };

const PREFIX = 'k8s:enc:aesgcm:v1:';

function parseProviders(list: unknown, where: string): Provider[] {
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${where}.providers: at least one provider is required`);
  return list.map((p: Record<string, any>, i) => {
    const w = `${where}.providers[${i}]`;
    if (p?.identity !== undefined) return { kind: 'identity' } as const;
    if (p?.aesgcm) {
      const keys = (p.aesgcm.keys ?? []).map((k: { name?: string; secret?: string }, j: number) => {
        if (!k?.name || /:/.test(k.name)) throw new Error(`${w}.aesgcm.keys[${j}].name: required, without ':'`);
        const secret = Buffer.from(String(k.secret ?? ''), 'base64');
        if (![16, 24, 32].includes(secret.length)) throw new Error(`${w}.aesgcm.keys[${j}].secret: must be 16, 24 or 32 bytes, base64-encoded (got ${secret.length} bytes)`);
        return { name: k.name, secret };
      });
      if (keys.length === 0) throw new Error(`${w}.aesgcm.keys: at least one key is required`);
      return { kind: 'aesgcm', keys } as const;
    }
    throw new Error(`${w}: unsupported provider ${JSON.stringify(Object.keys(p ?? {}))} (tskube supports aesgcm and identity)`);
  });
}

/** resource → providers, from the YAML text of an EncryptionConfiguration. */
export function parseEncryptionConfig(text: string, source = 'encryption config'): Map<string, Provider[]> {
  let doc: { kind?: string; resources?: Array<{ resources?: string[]; providers?: unknown }> };
  try { doc = parse(text) ?? {}; } catch (err) { throw new Error(`${source}: not valid YAML: ${(err as Error).message}`); }
  if (doc.kind !== 'EncryptionConfiguration') throw new Error(`${source}: kind must be EncryptionConfiguration, got ${JSON.stringify(doc.kind)}`);
  const out = new Map<string, Provider[]>();
  (doc.resources ?? []).forEach((r, i) => {
    const providers = parseProviders(r.providers, `${source}: resources[${i}]`);
    for (const res of r.resources ?? []) out.set(res.replace(/\.$/, ''), providers);
  });
  return out;
}

function seal(key: { name: string; secret: Buffer }, storageKey: string, plain: string): string {
  const nonce = randomBytes(12);
  const c = createCipheriv(`aes-${key.secret.length * 8}-gcm` as 'aes-256-gcm', key.secret, nonce);
  c.setAAD(Buffer.from(storageKey));
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return `${PREFIX}${key.name}:${Buffer.concat([nonce, ct, c.getAuthTag()]).toString('base64')}`;
}

function open(keys: Array<{ name: string; secret: Buffer }>, storageKey: string, stored: string): string | undefined {
  const rest = stored.slice(PREFIX.length);
  const colon = rest.indexOf(':');
  const key = keys.find((k) => k.name === rest.slice(0, colon));
  if (!key) return undefined;
  const raw = Buffer.from(rest.slice(colon + 1), 'base64');
  if (raw.length < 28) throw new Error(`stored value of ${storageKey} is too short to be aesgcm data`);
  const d = createDecipheriv(`aes-${key.secret.length * 8}-gcm` as 'aes-256-gcm', key.secret, raw.subarray(0, 12));
  d.setAAD(Buffer.from(storageKey));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
}

/** A transformer for the resources the config names; keys of other resources pass through. */
export function encryptionTransformer(config: Map<string, Provider[]>): ValueTransformer {
  const providersFor = (key: string) => config.get(key.split('/')[2] ?? '') ?? config.get('*');
  return {
    toStorage(key, plain) {
      const first = providersFor(key)?.[0];
      return first?.kind === 'aesgcm' ? seal(first.keys[0]!, key, plain) : plain;
    },
    fromStorage(key, stored) {
      if (!stored.startsWith(PREFIX)) return stored; // identity, or written before encryption was on
      const keys = (providersFor(key) ?? []).flatMap((p) => (p.kind === 'aesgcm' ? p.keys : []));
      let plain: string | undefined;
      try { plain = open(keys, key, stored); } catch (err) { throw new Error(`${key}: cannot decrypt: ${(err as Error).message}`); }
      if (plain === undefined) throw new Error(`${key}: no key named in the stored value is in the encryption config`);
      return plain;
    },
  };
}

export function loadEncryptionConfig(file: string): ValueTransformer {
  return encryptionTransformer(parseEncryptionConfig(readFileSync(file, 'utf8'), file));
}
