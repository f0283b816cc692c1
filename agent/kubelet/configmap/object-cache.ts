// ConfigMaps and Secrets the kubelet's pods reference (env, envFrom, volumes), fetched on demand
// with a short TTL instead of cluster-wide informers (upstream's "cache-based" manager): one
// GET per object per TTL, a 404 cached too, so a missing object is reported quickly and cheaply.
import type { ConfigMap, PersistentVolume, Pod, Secret, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.js';
import { isNotFound, type ApiClient } from '../../../control/client/api-client.js';
import { R, type ResourceRef } from '../../../control/client/resources.js';
import { resolveClaims, type ClaimVolumes } from '../volumes/claims.js';

export const CONFIGMAPS: ResourceRef = R.configmaps;
export const SECRETS: ResourceRef = R.secrets;

/** Synchronous view used by the pure config builders; undefined = not found. */
export interface ObjectLookup {
  configMap(ns: string, name: string): ConfigMap | undefined;
  secret(ns: string, name: string): Secret | undefined;
  /** The pod's bound service-account token for a projection, or an Error saying why not. */
  token?(src: ServiceAccountTokenProjection): string | Error;
  /** The PersistentVolume a persistentVolumeClaim volume's claim is bound to, or an Error. */
  claimVolume?(claimName: string): PersistentVolume | Error;
}

interface TokenRequestStatus { status?: { token?: string; expirationTimestamp?: string } }
const tokenKey = (src: ServiceAccountTokenProjection) => `${src.audience ?? ''}/${src.expirationSeconds ?? 3600}`;

interface Entry { at: number; obj: unknown }

export class ObjectCache {
  private entries = new Map<string, Entry>();

  constructor(private readonly client: ApiClient, private readonly ttlMs = 5_000) {}

  async get<T>(r: ResourceRef, ns: string | undefined, name: string): Promise<T | undefined> {
    const key = `${r.resource}/${ns}/${name}`;
    const e = this.entries.get(key);
    if (e && Date.now() - e.at < this.ttlMs) return e.obj as T | undefined;
    let obj: T | undefined;
    try { obj = await this.client.get<T>(r, name, ns); } catch (err) { if (!isNotFound(err)) throw err; }
    this.entries.set(key, { at: Date.now(), obj });
    if (this.entries.size > 2000) this.entries.delete(this.entries.keys().next().value!);
    return obj;
  }

  /**
   * A bound token for the pod (TokenRequest on its service account, bound to the pod's UID),
   * kept until 80% of its lifetime has passed, as upstream's token manager does.
   */
  private tokens = new Map<string, { token: string; refreshAt: number }>();

  private async token(pod: Pod, src: ServiceAccountTokenProjection): Promise<string> {
    const key = `${pod.metadata?.uid}/${tokenKey(src)}`;
    const cached = this.tokens.get(key);
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    const exp = src.expirationSeconds ?? 3600;
    const tr = await this.client.createSubresource<TokenRequestStatus>(R.serviceaccounts, pod.spec?.serviceAccountName || 'default', pod.metadata?.namespace, 'token', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
      spec: { audiences: src.audience ? [src.audience] : [], expirationSeconds: exp, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } },
    });
    const token = tr.status?.token;
    if (!token) throw new Error('the API server returned no token');
    const expires = Date.parse(tr.status?.expirationTimestamp ?? '') || Date.now() + exp * 1000;
    this.tokens.set(key, { token, refreshAt: Date.now() + 0.8 * (expires - Date.now()) });
    if (this.tokens.size > 2000) this.tokens.delete(this.tokens.keys().next().value!);
    return token;
  }

  /** Fetches every named object (and the pod's projected tokens), then answers lookups synchronously. */
  async prefetch(ns: string, refs: { configMaps: Set<string>; secrets: Set<string> }, pod?: Pod): Promise<ObjectLookup> {
    const cms = new Map<string, ConfigMap | undefined>();
    const secs = new Map<string, Secret | undefined>();
    const toks = new Map<string, string | Error>();
    let claims: ClaimVolumes = new Map();
    const tokenSources = (pod?.spec?.volumes ?? []).flatMap((v) => (v.projected?.sources ?? []).flatMap((s) => (s.serviceAccountToken ? [s.serviceAccountToken] : [])));
    await Promise.all([
      ...[...refs.configMaps].map(async (n) => cms.set(n, await this.get<ConfigMap>(CONFIGMAPS, ns, n))),
      ...[...refs.secrets].map(async (n) => secs.set(n, await this.get<Secret>(SECRETS, ns, n))),
      ...tokenSources.map(async (src) => toks.set(tokenKey(src), await this.token(pod!, src).catch((err: Error) => new Error(`failed to fetch token: ${err.message}`)))),
      ...(pod ? [resolveClaims(pod, (r, n, name) => this.get(r, n, name)).then((c) => { claims = c; })] : []),
    ]);
    return {
      configMap: (_ns, n) => cms.get(n), secret: (_ns, n) => secs.get(n),
      token: (src) => toks.get(tokenKey(src)) ?? new Error('failed to fetch token: not requested'),
      claimVolume: (name) => claims.get(name) ?? new Error(`error processing PVC ${ns}/${name}: not requested`),
    };
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
