// Binds the schema module (definitions, type checking, patches, OpenAPI documents) to the shapes the
// REST handlers use, turning patch failures into 400s that name the failing path.
import type { ResourceInfo } from '../../shared/resources';
import { ApiError, errors } from './errors';
import type { SchemaLayer } from './rest/context';
import type { OpenApiDocuments } from './server';
import { definitionNameForKind } from './schema/definitions';
import { openApiV2Serialized, openApiV3Index, openApiV3Serialized } from './schema/openapi';
import type { PatchResult } from './schema/patch';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './schema/patch';
import { pruneUnknownFields } from './schema/type-check';

function orThrow(kind: string, result: PatchResult): unknown {
  if (result.ok) return result.value;
  const { error } = result;
  // A well-formed JSON patch that does not apply to this object (a failed `test`, a missing path) is
  // 422 in Kubernetes; a malformed patch document is 400.
  if (error.code === 'TestFailed' || error.code === 'PathNotFound') {
    throw new ApiError(422, 'Invalid', `the ${kind} patch could not be applied: ${error.message}`, {}, [
      { reason: 'FieldValueInvalid', field: 'patch', message: error.message },
    ]);
  }
  const where = error.path ? ` at ${error.path}` : '';
  const op = error.operationIndex !== undefined ? ` (operation ${error.operationIndex})` : '';
  throw errors.badRequest(`the ${kind} patch could not be applied${where}${op}: ${error.message}`, [
    { reason: 'FieldValueInvalid', ...(error.path ? { field: error.path } : {}), message: error.message },
  ]);
}

export const schemaLayer: SchemaLayer = {
  definitionFor: (r: ResourceInfo) => definitionNameForKind(r.group, r.version, r.kind),
  checkAndPrune: (definition, obj) => pruneUnknownFields(definition, obj),
  jsonMergePatch: (target, patch) => jsonMergePatch(target, patch),
  jsonPatch: (target, operations) => orThrow('JSON', jsonPatch(target, operations)),
  strategicMergePatch: (target, patch, definition) =>
    orThrow('strategic merge', strategicMergePatch(target, patch, definition)),
};

export const openApiDocuments: OpenApiDocuments = {
  v2: openApiV2Serialized,
  v3Index: openApiV3Index,
  v3GroupVersion: openApiV3Serialized,
};
