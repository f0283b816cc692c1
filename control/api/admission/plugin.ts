// The admission plugin interface. Mutating plugins may change the object (after defaulting,
// before validation); validating plugins may only refuse (after validation, before storage),
// as upstream's two admission phases.
import type { Obj, ResourceDef } from '../resource-def.js';
import type { Store } from '../storage.js';
import type { UserInfo } from '../auth/types.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionRequest {
  op: Operation;
  def: ResourceDef;
  obj: Obj; // for DELETE: the stored object
  old?: Obj;
  sub?: string; // subresource being written (status, scale, …)
  store: Store;
  /** The API server issues service-account tokens (TokenRequest is configured). */
  serviceAccountTokens?: boolean;
  /** Who asked (absent for the server's own writes and when authentication is off). */
  user?: UserInfo;
}

export interface AdmissionPlugin {
  name: string;
  mutate?(req: AdmissionRequest): Promise<void> | void;
  validate?(req: AdmissionRequest): Promise<void> | void;
}
