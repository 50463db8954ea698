// Type checking of request bodies against the OpenAPI definitions: what Kubernetes gets from
// decoding JSON into its Go structs. Wrong JSON types are errors (400 in Kubernetes); fields the
// schema does not know are listed so the server can apply fieldValidation=Strict|Warn|Ignore, and
// pruned, as decoding drops them.
//
// Each definition is compiled once into a tree of small checker closures (no ajv): it runs on every
// write, must give Kubernetes-style field paths (`spec.containers[0].ports[0].containerPort`), and
// must collect unknown fields in the same pass. A typical Pod checks in a few microseconds.
import type { StatusCause } from '../../../shared/status';
import { getDefinition, refName, type Schema } from './definitions';

export interface TypeCheckResult {
  /** Wrong JSON types, as field causes (`FieldValueTypeInvalid`). */
  errors: StatusCause[];
  /** Paths of fields the schema does not define, in document order (`spec.containers[0].imagePullPolicyy`). */
  unknownFields: string[];
}

interface Context {
  errors: StatusCause[];
  unknown: string[];
  prune: boolean;
}

type Checker = (value: unknown, path: string, ctx: Context) => void;

const QUANTITY_PATTERN = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
// Go's time.Parse(time.RFC3339) also accepts fractional seconds, which MicroTime always has.
const RFC3339_PATTERN = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function renderValue(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  return `"${jsonType(value)}"`;
}

function typeError(ctx: Context, path: string, value: unknown, expected: string): void {
  const where = path || '<root>';
  ctx.errors.push({
    reason: 'FieldValueTypeInvalid',
    field: path,
    message: `Invalid value: ${renderValue(value)}: ${where} in body must be of type ${expected}: "${jsonType(value)}"`,
  });
}

function invalid(ctx: Context, path: string, value: unknown, detail: string): void {
  ctx.errors.push({
    reason: 'FieldValueInvalid',
    field: path,
    message: `Invalid value: ${renderValue(value)}: ${detail}`,
  });
}

const checkAny: Checker = () => {};

const checkString: Checker = (value, path, ctx) => {
  if (typeof value !== 'string' && value !== null) typeError(ctx, path, value, 'string');
};

const checkBytes: Checker = (value, path, ctx) => {
  if (value === null) return;
  if (typeof value !== 'string') return typeError(ctx, path, value, 'string');
  // encoding/json decodes []byte as standard base64 (newlines ignored).
  if (!BASE64_PATTERN.test(value.replace(/[\r\n]/g, ''))) {
    invalid(ctx, path, value, 'illegal base64 data');
  }
};

const checkTime: Checker = (value, path, ctx) => {
  if (value === null || value === '') return;
  if (typeof value !== 'string') return typeError(ctx, path, value, 'string');
  if (!RFC3339_PATTERN.test(value) || Number.isNaN(Date.parse(value))) {
    invalid(ctx, path, value, 'must be an RFC 3339 date-time, e.g. "2006-01-02T15:04:05Z"');
  }
};

const checkBoolean: Checker = (value, path, ctx) => {
  if (typeof value !== 'boolean' && value !== null) typeError(ctx, path, value, 'boolean');
};

const checkNumber: Checker = (value, path, ctx) => {
  if (typeof value !== 'number' && value !== null) typeError(ctx, path, value, 'number');
};

const checkInt64: Checker = (value, path, ctx) => {
  if (value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) typeError(ctx, path, value, 'integer');
};

const checkInt32: Checker = (value, path, ctx) => {
  if (value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) return typeError(ctx, path, value, 'integer');
  if (value < INT32_MIN || value > INT32_MAX) {
    invalid(ctx, path, value, `${path} in body must fit in a 32-bit integer`);
  }
};

const checkIntOrString: Checker = (value, path, ctx) => {
  if (value === null || typeof value === 'string') return;
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value < INT32_MIN || value > INT32_MAX) {
      invalid(ctx, path, value, `${path} in body must fit in a 32-bit integer`);
    }
    return;
  }
  typeError(ctx, path, value, 'integer or string');
};

const checkQuantity: Checker = (value, path, ctx) => {
  if (value === null || (typeof value === 'number' && Number.isFinite(value))) return;
  if (typeof value !== 'string') return typeError(ctx, path, value, 'string or number (a quantity)');
  if (!QUANTITY_PATTERN.test(value)) {
    invalid(ctx, path, value, `quantities must match the regular expression '${QUANTITY_PATTERN.source}'`);
  }
};

function arrayChecker(item: Checker): Checker {
  return (value, path, ctx) => {
    if (value === null) return;
    if (!Array.isArray(value)) return typeError(ctx, path, value, 'array');
    for (let i = 0; i < value.length; i++) item(value[i], `${path}[${i}]`, ctx);
  };
}

function mapChecker(element: Checker): Checker {
  return (value, path, ctx) => {
    if (value === null) return;
    if (typeof value !== 'object' || Array.isArray(value)) return typeError(ctx, path, value, 'object');
    const map = value as Record<string, unknown>;
    for (const key in map) element(map[key], `${path}[${key}]`, ctx);
  };
}

function objectChecker(properties: Map<string, Checker>): Checker {
  return (value, path, ctx) => {
    if (value === null) return;
    if (typeof value !== 'object' || Array.isArray(value)) return typeError(ctx, path, value, 'object');
    const obj = value as Record<string, unknown>;
    const prefix = path ? `${path}.` : '';
    for (const key in obj) {
      const check = properties.get(key);
      const child = obj[key];
      if (check === undefined) {
        ctx.unknown.push(prefix + key);
        if (ctx.prune) delete obj[key];
      } else if (child === null) {
        // Go leaves a field unset when decoding null into it; the stored object should too.
        if (ctx.prune) delete obj[key];
      } else {
        check(child, prefix + key, ctx);
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Compilation. Definitions refer to each other (and to themselves, e.g. JSONSchemaProps would), so
// a definition's checker is a trampoline filled in after its body is compiled.

const compiled = new Map<string, Checker>();

function definitionChecker(name: string): Checker {
  const existing = compiled.get(name);
  if (existing) return existing;
  const slot: { body?: Checker } = {};
  const trampoline: Checker = (value, path, ctx) => slot.body!(value, path, ctx);
  compiled.set(name, trampoline);
  const schema = getDefinition(name);
  if (!schema) {
    compiled.delete(name);
    throw new Error(`unknown definition ${name}`);
  }
  slot.body = compileSchema(schema);
  // Callers compiled after this point can skip the trampoline.
  compiled.set(name, slot.body);
  return slot.body;
}

function compileSchema(schema: Schema): Checker {
  if (schema.$ref !== undefined) return definitionChecker(refName(schema.$ref));
  if (schema['x-kubernetes-preserve-unknown-fields']) return checkAny;
  if (schema['x-kubernetes-int-or-string']) {
    return schema.format === 'int-or-string' ? checkIntOrString : checkQuantity;
  }
  switch (schema.type) {
    case 'string':
      if (schema.format === 'byte') return checkBytes;
      if (schema.format === 'date-time') return checkTime;
      return checkString;
    case 'boolean':
      return checkBoolean;
    case 'number':
      return checkNumber;
    case 'integer':
      return schema.format === 'int32' ? checkInt32 : checkInt64;
    case 'array':
      return arrayChecker(schema.items ? compileSchema(schema.items) : checkAny);
    case 'object':
    case undefined: {
      if (schema.properties) {
        const props = new Map<string, Checker>();
        for (const [key, prop] of Object.entries(schema.properties)) props.set(key, compileSchema(prop));
        return objectChecker(props);
      }
      if (typeof schema.additionalProperties === 'object') {
        return mapChecker(compileSchema(schema.additionalProperties));
      }
      return schema.type === 'object' ? mapChecker(checkAny) : checkAny;
    }
    default:
      return checkAny;
  }
}

/** The compiled checker for a definition (compiled on first use, then cached). */
function checkerFor(definitionName: string): Checker {
  return compiled.get(definitionName) ?? definitionChecker(definitionName);
}

/**
 * Checks the JSON types of `obj` against a definition (`io.k8s.api.core.v1.Pod`). Does not modify
 * `obj`. Required fields and value rules are the kind strategy's validation, not this.
 */
export function checkTypes(definitionName: string, obj: unknown): TypeCheckResult {
  const ctx: Context = { errors: [], unknown: [], prune: false };
  checkerFor(definitionName)(obj, '', ctx);
  return { errors: ctx.errors, unknownFields: ctx.unknown };
}

/**
 * Removes, in place, the fields the definition does not know and fields set to null (what decoding
 * into the Go types does), and returns the same result as `checkTypes` for the original object.
 * One pass does both, for the write path.
 */
export function pruneUnknownFields(definitionName: string, obj: unknown): TypeCheckResult {
  const ctx: Context = { errors: [], unknown: [], prune: true };
  checkerFor(definitionName)(obj, '', ctx);
  return { errors: ctx.errors, unknownFields: ctx.unknown };
}

/** `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"` (fieldValidation=Strict). */
export function strictDecodingMessage(unknownFields: readonly string[]): string {
  return `strict decoding error: ${unknownFields.map((f) => `unknown field "${f}"`).join(', ')}`;
}

/** The Warning header values Kubernetes sends for fieldValidation=Warn: `unknown field "spec.foo"`. */
export function unknownFieldWarnings(unknownFields: readonly string[]): string[] {
  return unknownFields.map((f) => `unknown field "${f}"`);
}
