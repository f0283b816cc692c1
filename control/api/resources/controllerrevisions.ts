// apps/v1 ControllerRevisions: immutable snapshots of a DaemonSet's or StatefulSet's pod template
// (data is a patch that restores it), numbered by revision; what `kubectl rollout history` lists
// and `kubectl rollout undo` applies. Columns as upstream: CONTROLLER, REVISION, AGE.
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta } from '../validation.js';
import { fieldInvalid } from '../status.js';
import { age, ageCol, col } from '../table.js';

function controllerCell(o: Obj): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller);
  if (!ref) return '<none>';
  const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
  return `${String(ref.kind).toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

export const controllerrevisions: ResourceDef = {
  group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', singular: 'controllerrevision', namespaced: true,
  validate(o, old) {
    const causes = validateObjectMeta(o.metadata, false);
    if (o.data === undefined || o.data === null) causes.push({ reason: 'FieldValueRequired', field: 'data', message: 'Required value: data is mandatory' });
    if (!Number.isInteger(o.revision) || o.revision < 0) causes.push(fieldInvalid('revision', o.revision, 'must be greater than or equal to 0'));
    if (old && JSON.stringify(o.data) !== JSON.stringify(old.data)) causes.push(fieldInvalid('data', o.data, 'field is immutable'));
    return causes;
  },
  table: {
    columns: [col('Controller'), col('Revision', 0, 'integer'), ageCol],
    cells: (o) => [controllerCell(o), o.revision ?? 0, age(o.metadata?.creationTimestamp)],
  },
};
