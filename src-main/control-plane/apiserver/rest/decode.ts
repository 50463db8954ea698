// Decoding a request body into an object of the kind the URL names: shape, apiVersion/kind,
// types against the OpenAPI schema, unknown fields per `fieldValidation`. Everything here answers
// 400 with the field path, and nothing is stored.
import type { IncomingMessage } from 'node:http';
import { apiVersionOf } from '../../../shared/resources';
import type { ResourceInfo } from '../../../shared/resources';
import { errors } from '../errors';
import { mediaType, parseObjectBody, readBody } from '../http';
import type { KubeObject } from '../kinds/types';
import type { RestContext } from './context';
import { isPlainObject } from './objects';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got "${v}"`);
}

export async function readObject(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  return parseObjectBody(body, mediaType(req));
}

/** Checks that `value` is an object of the resource's kind and apiVersion (filling them if absent on a subresource). */
export function expectKind(
  value: unknown,
  r: ResourceInfo,
  kindName = r.kind,
  apiVersion = apiVersionOf(r),
): KubeObject {
  if (!isPlainObject(value)) {
    throw errors.badRequest(
      `the request body must be a JSON object of kind ${kindName}, got ${describe(value)}`,
    );
  }
  const obj = value as KubeObject;
  // As Kubernetes' decoder does, the URL supplies what the body leaves out.
  if (obj.kind === undefined || obj.kind === '') obj.kind = kindName;
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = apiVersion;
  if (obj.kind !== kindName) {
    throw errors.badRequest(
      `the kind in the body (${String(obj.kind)}) does not match the expected kind (${kindName})`,
    );
  }
  if (obj.apiVersion !== apiVersion) {
    throw errors.badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) {
    throw errors.badRequest(`metadata must be an object, got ${describe(obj.metadata)}`, [
      {
        reason: 'FieldValueTypeInvalid',
        field: 'metadata',
        message: `must be an object, got ${describe(obj.metadata)}`,
      },
    ]);
  }
  obj.metadata = obj.metadata ?? {};
  return obj;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

/**
 * Type-checks an object against the kind's schema. Wrong types are a 400 (as Kubernetes' decoder
 * answers); unknown fields fail with Strict, become warnings with Warn, and are dropped either way.
 * Returns the warnings.
 */
export function checkSchema(
  ctx: RestContext,
  r: ResourceInfo,
  obj: KubeObject,
  validation: FieldValidation,
): string[] {
  const definition = ctx.schema.definitionFor(r);
  if (!definition) return [];
  const { errors: typeErrors, unknownFields } = ctx.schema.checkAndPrune(definition, obj);
  if (typeErrors.length > 0) {
    const detail = typeErrors.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join('; ');
    throw errors.badRequest(
      `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${detail}`,
      typeErrors,
    );
  }
  if (unknownFields.length === 0) return [];
  if (validation === 'Strict') {
    const list = unknownFields.map((f) => `unknown field "${f}"`).join(', ');
    throw errors.badRequest(
      `strict decoding error: ${list}`,
      unknownFields.map((f) => ({ reason: 'FieldValueInvalid', field: f, message: 'unknown field' })),
    );
  }
  return validation === 'Warn' ? unknownFields.map((f) => `unknown field "${f}"`) : [];
}
