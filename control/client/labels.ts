// Label selectors as controllers and the API server's validation use them: metav1.LabelSelector (matchLabels + matchExpressions)
// and plain map selectors (Service.spec.selector), matched against an object's labels.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

export type Labels = Record<string, string> | undefined;

/** True when every key/value of `selector` is in `labels` (a Service-style map selector). */
export function matchesMap(selector: Record<string, string>, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/**
 * metav1.LabelSelector semantics: all matchLabels and all matchExpressions must hold.
 * An empty selector matches everything; a missing (undefined) one matches nothing.
 */
export function matchesSelector(sel: LabelSelector | undefined, labels: Labels): boolean {
  if (!sel) return false;
  if (sel.matchLabels && !matchesMap(sel.matchLabels, labels)) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, e.key);
    const val = labels?.[e.key];
    switch (e.operator) {
      case 'In': if (!has || !(e.values ?? []).includes(val!)) return false; break;
      case 'NotIn': if (has && (e.values ?? []).includes(val!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false; // unknown operator: never matches, like upstream's parse error
    }
  }
  return true;
}

/** True when the selector has no requirements at all (matches every object). */
export function isEmptySelector(sel: LabelSelector | undefined): boolean {
  return !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}
