// OpenAPI for kubectl: /openapi/v3 (and v2), so default strict validation and `kubectl
// explain` work, plus the schema-driven unknown-field check behind fieldValidation=Strict.
// (Placeholder until the schemas land: no routes, no unknown fields reported.)
import type { FastifyInstance } from 'fastify';
import type { ResourceDef } from '../resource-def.js';

export function registerOpenApi(_app: FastifyInstance): void {}

/** Paths (e.g. "spec.replicass") of fields the schema of def does not know. */
export function unknownFields(_def: ResourceDef, _obj: unknown): string[] {
  return [];
}
