// pod-template-hash: a short, stable name for a pod template (upstream controller.ComputeHash).
// FNV-1a (32 bit) over the template in a canonical form, plus collisionCount, printed in decimal
// and mapped onto the safe alphabet, e.g. "nginx-66b6c48dd5" style ReplicaSet names.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { SAFE_ALPHABET } from '../replicaset/pod-names.js';

export const HASH_LABEL = 'pod-template-hash';

/**
 * JSON with object keys sorted and undefined/null fields dropped, so equal objects print
 * equally. null counts as absent, as when Go decodes it (kubectl sends creationTimestamp: null).
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined && x !== null)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

export function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** upstream rand.SafeEncodeString: each byte picks a character of the safe alphabet. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** The template without the pod-template-hash label (what two templates are compared on). */
export function withoutHashLabel(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(t ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(withoutHashLabel(template))));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true); // little endian, as upstream
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}

/** upstream EqualIgnoreHash: two templates are the same revision if equal apart from the hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}
