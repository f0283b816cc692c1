// What the API server knows about each resource it serves: identity for discovery, the
// strategy hooks (defaulting, validation, allocation) that run on writes, and the Table
// columns kubectl prints. One ResourceDef per resource, registered in resources/index.ts.
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import type { Store } from './storage.js';

export type Obj = Record<string, any>;

export interface TableColumnDefinition { name: string; type: string; format: string; description: string; priority: number }

export interface WriteContext {
  store: Store;
  /** The existing object, on update. */
  old?: Obj;
}

export interface TableSpec {
  columns: TableColumnDefinition[]; // after the leading Name column; Age is added where `age` says
  cells(obj: Obj): unknown[];
  /** The Name cell, when it is more than metadata.name (a default StorageClass's "(default)"). */
  name?(obj: Obj): unknown;
}

export interface ResourceDef {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Names must be DNS-1123 labels (namespaces, services) instead of subdomains. */
  dnsLabelNames?: boolean;
  /** Computed on read (componentstatuses): only get and list. */
  readOnly?: boolean;
  /** status is written only through /status; the main resource ignores it. */
  statusSubresource?: boolean;
  subresources?: Array<'status' | 'binding' | 'scale' | 'log' | 'exec' | 'attach' | 'portforward' | 'eviction' | 'proxy' | 'finalize'>;
  table?: TableSpec;
  /** Fill in defaults (on create and update), as upstream's SetDefaults_*. */
  defaults?(obj: Obj): void;
  /** Field-level validation; an empty list means valid. */
  validate?(obj: Obj, old?: Obj): StatusCause[];
  /** Called before create (after defaults and validation): allocations, initial status. */
  beforeCreate?(obj: Obj, ctx: WriteContext): Promise<void> | void;
  beforeUpdate?(obj: Obj, ctx: WriteContext): Promise<void> | void;
  /** Frees allocations `obj` holds that the stored object no longer does: after a failed
   *  create or update of obj, and after obj was replaced or deleted. Must be idempotent. */
  release?(obj: Obj, ctx: WriteContext): Promise<void>;
  /** Does a change from old to obj bump metadata.generation? Default: spec changed. */
  specOf?(obj: Obj): unknown;
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
