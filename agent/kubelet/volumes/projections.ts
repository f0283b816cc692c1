// The files of configMap, secret, downwardAPI and projected volumes, computed from the pod and
// the objects it names: items (key → path, mode), defaultMode, optional sources, downward API
// fields. Pure; a missing required object or key is a VolumeError (a FailedMount event).
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import { secretBytes, type ObjectLookup } from '../configmap/object-cache.js';
import { resourceField } from '../kuberuntime/container-config.js';
import type { FileProjection } from './atomic-writer.js';

export class VolumeError extends Error {}

type Payload = Map<string, FileProjection>;
const DEFAULT_MODE = 0o644;

function keyed(keys: string[], get: (k: string) => Buffer | undefined, items: KeyToPath[] | undefined, mode: number, what: string, optional: boolean, out: Payload): void {
  if (!items?.length) { for (const k of keys) out.set(k, { data: get(k)!, mode }); return; }
  for (const it of items) {
    const data = get(it.key);
    if (data === undefined) {
      if (optional) continue;
      throw new VolumeError(`configmap references non-existent config key: ${it.key}`.replace('configmap', what));
    }
    out.set(it.path, { data, mode: it.mode ?? mode });
  }
}

function configMapFiles(cm: ConfigMap, items: KeyToPath[] | undefined, mode: number, optional: boolean, out: Payload): void {
  const get = (k: string) => (cm.data?.[k] !== undefined ? Buffer.from(cm.data[k]) : cm.binaryData?.[k] !== undefined ? Buffer.from(cm.binaryData[k], 'base64') : undefined);
  keyed([...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})], get, items, mode, 'configmap', optional, out);
}

function secretFiles(s: Secret, items: KeyToPath[] | undefined, mode: number, optional: boolean, out: Payload): void {
  keyed([...new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})])], (k) => secretBytes(s, k), items, mode, 'secret', optional, out);
}

export function downwardField(pod: Pod, path: string): string {
  const m = pod.metadata ?? {};
  const kv = (o: Record<string, string> | undefined) => Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n');
  switch (path) {
    case 'metadata.name': return m.name ?? '';
    case 'metadata.namespace': return m.namespace ?? '';
    case 'metadata.uid': return m.uid ?? '';
    case 'metadata.labels': return kv(m.labels);
    case 'metadata.annotations': return kv(m.annotations);
    default: {
      const a = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (a) return (a[1] === 'labels' ? m.labels : m.annotations)?.[a[2]!] ?? '';
      throw new VolumeError(`unsupported downwardAPI fieldRef ${path}`);
    }
  }
}

function downwardFiles(pod: Pod, items: DownwardAPIVolumeFile[], mode: number, out: Payload): void {
  for (const it of items) {
    let v = '';
    if (it.fieldRef) v = downwardField(pod, it.fieldRef.fieldPath);
    else if (it.resourceFieldRef) {
      const c = pod.spec?.containers.find((x) => x.name === it.resourceFieldRef!.containerName) ?? pod.spec?.containers[0];
      if (!c) throw new VolumeError(`resourceFieldRef: container ${it.resourceFieldRef.containerName} not found`);
      v = resourceField(c, it.resourceFieldRef.resource, it.resourceFieldRef.divisor);
    }
    out.set(it.path, { data: Buffer.from(v), mode: it.mode ?? mode });
  }
}

/** Names of the ConfigMaps and Secrets the pod's volumes refer to. */
export function volumeRefs(pod: Pod, out = { configMaps: new Set<string>(), secrets: new Set<string>() }) {
  for (const v of pod.spec?.volumes ?? []) {
    if (v.configMap?.name) out.configMaps.add(v.configMap.name);
    if (v.secret?.secretName) out.secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name) out.configMaps.add(s.configMap.name);
      if (s.secret?.name) out.secrets.add(s.secret.name);
    }
  }
  return out;
}

/** The files of a data volume, or undefined when the volume is not one. */
export function projectVolume(pod: Pod, v: Volume, objs: ObjectLookup): Payload | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  const out: Payload = new Map();
  if (v.configMap) {
    const cm = objs.configMap(ns, v.configMap.name ?? '');
    if (!cm) { if (v.configMap.optional) return out; throw new VolumeError(`configmap "${v.configMap.name}" not found`); }
    configMapFiles(cm, v.configMap.items, v.configMap.defaultMode ?? DEFAULT_MODE, !!v.configMap.optional, out);
    return out;
  }
  if (v.secret) {
    const s = objs.secret(ns, v.secret.secretName ?? '');
    if (!s) { if (v.secret.optional) return out; throw new VolumeError(`secret "${v.secret.secretName}" not found`); }
    secretFiles(s, v.secret.items, v.secret.defaultMode ?? DEFAULT_MODE, !!v.secret.optional, out);
    return out;
  }
  if (v.downwardAPI) {
    downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, out);
    return out;
  }
  if (v.projected) {
    const mode = v.projected.defaultMode ?? DEFAULT_MODE;
    for (const src of v.projected.sources ?? []) {
      if (src.configMap) {
        const cm = objs.configMap(ns, src.configMap.name ?? '');
        if (!cm) { if (src.configMap.optional) continue; throw new VolumeError(`configmap "${src.configMap.name}" not found`); }
        configMapFiles(cm, src.configMap.items, mode, !!src.configMap.optional, out);
      } else if (src.secret) {
        const s = objs.secret(ns, src.secret.name ?? '');
        if (!s) { if (src.secret.optional) continue; throw new VolumeError(`secret "${src.secret.name}" not found`); }
        secretFiles(s, src.secret.items, mode, !!src.secret.optional, out);
      } else if (src.downwardAPI) {
        downwardFiles(pod, src.downwardAPI.items ?? [], mode, out);
      } else if (src.serviceAccountToken) {
        // A bound token from the API server (TokenRequest), fetched by the object cache.
        const token = objs.token?.(src.serviceAccountToken) ?? new Error('failed to fetch token: no token source');
        if (token instanceof Error) throw new VolumeError(token.message);
        out.set(src.serviceAccountToken.path, { data: Buffer.from(token), mode });
      }
    }
    return out;
  }
  return undefined;
}
