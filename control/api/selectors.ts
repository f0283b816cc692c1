// Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors (=, ==, !=
// over dotted paths such as spec.nodeName), parsed once and matched against objects.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest } from './status.js';
import { matchesSelector } from '../client/labels.js';

type Req = { key: string; op: 'in' | 'notin' | 'exists' | '!exists'; values: string[] };
export type Matcher = (labels: Record<string, string> | undefined) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

export function parseLabelSelector(s: string | undefined): Matcher {
  if (!s) return () => true;
  const reqs: Req[] = splitTerms(s).map((term) => {
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) return { key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()) };
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    if (m) return { key: m[1], op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]] };
    m = /^(!?)([\w./-]+)$/.exec(term);
    if (m) return { key: m[2], op: m[1] ? '!exists' : 'exists', values: [] };
    throw badRequest(`unable to parse requirement: ${term}`);
  });
  return (labels) => reqs.every((r) => matchReq(r, labels ?? {}));
}

function matchReq(r: Req, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'exists': return has;
    case '!exists': return !has;
    case 'in': return has && r.values.includes(labels[r.key]);
    case 'notin': return !has || !r.values.includes(labels[r.key]);
  }
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as a matcher. */
export function labelSelectorMatcher(sel: LabelSelector | undefined): Matcher {
  return (labels) => matchesSelector(sel, labels);
}

export type FieldMatcher = (obj: unknown) => boolean;

export function parseFieldSelector(s: string | undefined): FieldMatcher {
  if (!s) return () => true;
  const reqs = splitTerms(s).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: ${term}`);
    return { path: m[1].split('.'), neg: m[2] === '!=', value: m[3] };
  });
  return (obj) => reqs.every((r) => {
    let v: unknown = obj;
    for (const p of r.path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    const str = v === undefined || v === null ? '' : String(v);
    return r.neg ? str !== r.value : str === r.value;
  });
}
