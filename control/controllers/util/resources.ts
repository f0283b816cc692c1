// Owner resolution for the garbage collector: the resource an ownerReference points at.
// (W is control/client's R, kept as an alias for the controllers that import it.)
import { R, apiVersionOf, type ResourceRef } from '../../client/resources.js';

export const W = R;

/** The resource an ownerReference (apiVersion + kind) points at, among those known here. */
export function resourceForKind(apiVersion: string | undefined, kind: string | undefined): ResourceRef | undefined {
  return Object.values(W).find((r) => r.kind === kind && apiVersionOf(r) === apiVersion);
}
