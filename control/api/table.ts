// Server-side printing: converts objects to a meta.k8s.io/v1 Table when kubectl asks for one
// (Accept: application/json;as=Table;g=meta.k8s.io;v=v1), with Name first, the resource's
// own columns, and row.object as PartialObjectMetadata (needed for -A and --show-labels).
import type { Obj, ResourceDef, TableColumnDefinition } from './resource-def.js';

/** meta.k8s.io/v1 Table (kubernetes-types does not carry it). */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: Array<{ cells: unknown[]; object: Obj }>;
}

export const wantsTable = (accept: string | undefined): boolean => !!accept && /as=Table/.test(accept);

const nameCol: TableColumnDefinition = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
export const ageCol: TableColumnDefinition = { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 };

export const col = (name: string, priority = 0, type = 'string'): TableColumnDefinition => ({ name, type, format: '', description: name, priority });

/** upstream's duration.HumanDuration: 45s, 5m10s, 3h, 2d5h, 400d … */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

export const age = (ts: string | undefined): string => (ts ? humanDuration(Date.now() - Date.parse(ts)) : '<unknown>');

export function tableColumns(def: ResourceDef): TableColumnDefinition[] {
  return def.table ? [nameCol, ...def.table.columns] : [nameCol, ageCol];
}

export function toTable(def: ResourceDef, objs: Obj[], resourceVersion: string, withHeaders = true): Table {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: withHeaders ? tableColumns(def) : [],
    rows: objs.map((o) => ({
      cells: [def.table?.name ? def.table.name(o) : o.metadata?.name, ...(def.table ? def.table.cells(o) : [age(o.metadata?.creationTimestamp)])],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
