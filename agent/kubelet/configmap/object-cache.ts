// ConfigMaps and Secrets the kubelet's pods reference (env, envFrom, volumes), fetched on demand
// with a short TTL instead of cluster-wide informers (upstream's "cache-based" manager): one
// GET per object per TTL, a 404 cached too, so a missing object is reported quickly and cheaply.
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import { isNotFound, type ApiClient } from '../../../control/client/api-client.js';
import { R, type ResourceRef } from '../../../control/client/resources.js';

export const CONFIGMAPS: ResourceRef = R.configmaps;
export const SECRETS: ResourceRef = R.secrets;

/** Synchronous view used by the pure config builders; undefined = not found. */
export interface ObjectLookup {
  configMap(ns: string, name: string): ConfigMap | undefined;
  secret(ns: string, name: string): Secret | undefined;
}

interface Entry { at: number; obj: ConfigMap | Secret | undefined }

export class ObjectCache {
  private entries = new Map<string, Entry>();

  constructor(private readonly client: ApiClient, private readonly ttlMs = 5_000) {}

  async get<T extends ConfigMap | Secret>(r: ResourceRef, ns: string, name: string): Promise<T | undefined> {
    const key = `${r.resource}/${ns}/${name}`;
    const e = this.entries.get(key);
    if (e && Date.now() - e.at < this.ttlMs) return e.obj as T | undefined;
    let obj: T | undefined;
    try { obj = await this.client.get<T>(r, name, ns); } catch (err) { if (!isNotFound(err)) throw err; }
    this.entries.set(key, { at: Date.now(), obj });
    if (this.entries.size > 2000) this.entries.delete(this.entries.keys().next().value!);
    return obj;
  }

  /** Fetches every named object, then answers lookups for them synchronously. */
  async prefetch(ns: string, refs: { configMaps: Set<string>; secrets: Set<string> }): Promise<ObjectLookup> {
    const cms = new Map<string, ConfigMap | undefined>();
    const secs = new Map<string, Secret | undefined>();
    await Promise.all([
      ...[...refs.configMaps].map(async (n) => cms.set(n, await this.get<ConfigMap>(CONFIGMAPS, ns, n))),
      ...[...refs.secrets].map(async (n) => secs.set(n, await this.get<Secret>(SECRETS, ns, n))),
    ]);
    return { configMap: (_ns, n) => cms.get(n), secret: (_ns, n) => secs.get(n) };
  }
}

/** Secret data (base64) or stringData as text. */
export function secretValue(s: Secret, key: string): string | undefined {
  if (s.stringData?.[key] !== undefined) return s.stringData[key];
  const b = s.data?.[key];
  return b === undefined ? undefined : Buffer.from(b, 'base64').toString('utf8');
}

/** Secret data (base64) or stringData as bytes. */
export function secretBytes(s: Secret, key: string): Buffer | undefined {
  if (s.stringData?.[key] !== undefined) return Buffer.from(s.stringData[key]);
  const b = s.data?.[key];
  return b === undefined ? undefined : Buffer.from(b, 'base64');
}
