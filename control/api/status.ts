// metav1.Status errors, the only error shape the API server sends: kubectl prints their
// message and branches on reason and code (404 NotFound, 409 AlreadyExists/Conflict, …).
import type { Status, StatusCause } from 'kubernetes-types/meta/v1.js';

export class StatusError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Status['details']) {
    super(message);
  }

  toStatus(): Status {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, details: this.details, code: this.code };
  }
}

const qualified = (kind: string, group: string) => (group ? `${kind}.${group}` : kind);

export const notFound = (resource: string, group: string, name: string) =>
  new StatusError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (resource: string, group: string, name: string) =>
  new StatusError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (resource: string, group: string, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`, { name, group, kind: resource });

export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
export const methodNotAllowed = (message: string) => new StatusError(405, 'MethodNotAllowed', message);
export const unsupportedMediaType = (type: string) => new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/strategic-merge-patch+json, application/merge-patch+json, application/json-patch+json (got ${type})`);
export const expired = (message: string) => new StatusError(410, 'Expired', message);
export const forbidden = (message: string) => new StatusError(403, 'Forbidden', message);
export const internal = (message: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);

/** 422 Invalid with one cause per bad field, as upstream's field.ErrorList. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new StatusError(422, 'Invalid', `${qualified(kind, group)} "${name}" is invalid: ${list}`, { name, group, kind, causes });
}

export const fieldInvalid = (field: string, value: unknown, detail: string): StatusCause =>
  ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
export const fieldRequired = (field: string): StatusCause =>
  ({ reason: 'FieldValueRequired', field, message: 'Required value' });
export const fieldForbidden = (field: string, detail: string): StatusCause =>
  ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
