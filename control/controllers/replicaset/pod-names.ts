// Pod names for generateName, as the API server makes them: prefix + 5 random characters from
// upstream's "safe" alphabet (no vowels, no 0/1/3, so names never spell words or look alike).
import { randomInt } from 'node:crypto';

export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_NAME = 63;
const SUFFIX = 5;

export function randomSuffix(n = SUFFIX): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
  return s;
}

/** upstream names.SimpleNameGenerator: truncate the base so base + suffix fits in 63 chars. */
export function generateName(base: string): string {
  if (base.length > MAX_NAME - SUFFIX) base = base.slice(0, MAX_NAME - SUFFIX);
  return base + randomSuffix();
}
