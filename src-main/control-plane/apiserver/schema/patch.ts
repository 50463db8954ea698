// The three patch formats of PATCH requests:
//   application/merge-patch+json            RFC 7386 JSON merge patch
//   application/json-patch+json             RFC 6902 JSON patch (via fast-json-patch)
//   application/strategic-merge-patch+json  Kubernetes strategic merge patch, what kubectl apply,
//                                           edit, label, annotate and scale send
// None of them modifies its inputs. Failures are returned as typed values, never thrown.
import jsonpatch, { type Operation } from 'fast-json-patch';
import { getDefinition, refName, resolveSchema, type Schema } from './definitions';

export type PatchErrorCode =
  /** The patch document itself is not of the format's shape (not an object, not a list of operations…). */
  | 'BadPatchFormat'
  /** A JSON patch operation is malformed (unknown op, missing value or from…). */
  | 'InvalidOperation'
  /** A JSON patch operation names a path the document does not have. */
  | 'PathNotFound'
  /** A JSON patch `test` operation did not match. */
  | 'TestFailed'
  /** A strategic merge patch `$patch` directive with an unsupported value. */
  | 'BadDirective'
  /** A strategic merge patch list element lacks the list's merge key. */
  | 'MissingMergeKey';

export interface PatchError {
  code: PatchErrorCode;
  message: string;
  /** Field path (`spec.template.spec.containers[0]`) for merge patches, JSON pointer for JSON patch. */
  path?: string;
  /** JSON patch: index of the failing operation. */
  operationIndex?: number;
  /** JSON patch: the failing operation. */
  operation?: unknown;
}

export type PatchResult<T = unknown> = { ok: true; value: T } | { ok: false; error: PatchError };

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// JSON.parse makes "__proto__" an own property; plain assignment would set the prototype instead.
function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

class PatchFailure extends Error {
  constructor(readonly error: PatchError) {
    super(error.message);
  }
}

function fail(code: PatchErrorCode, message: string, path?: string): never {
  throw new PatchFailure({ code, message, ...(path !== undefined ? { path } : {}) });
}

function run<T>(body: () => T): PatchResult<T> {
  try {
    return { ok: true, value: body() };
  } catch (err) {
    if (err instanceof PatchFailure) return { ok: false, error: err.error };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 7386

/** Applies a JSON merge patch: objects merge recursively, `null` deletes, everything else replaces. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  return mergeInPlace(structuredClone(target), patch);
}

function mergeInPlace(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete result[key];
    else setOwn(result, key, mergeInPlace(Object.hasOwn(result, key) ? result[key] : undefined, value));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// RFC 6902

export interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

const JSON_PATCH_CODES: Record<string, PatchErrorCode> = {
  SEQUENCE_NOT_AN_ARRAY: 'BadPatchFormat',
  TEST_OPERATION_FAILED: 'TestFailed',
  OPERATION_PATH_UNRESOLVABLE: 'PathNotFound',
  OPERATION_FROM_UNRESOLVABLE: 'PathNotFound',
  OPERATION_PATH_CANNOT_ADD: 'PathNotFound',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'PathNotFound',
};

/**
 * Applies a JSON patch. fast-json-patch does the work: it validates each operation against the
 * document as it goes, so a failure names the operation, and it refuses `__proto__` paths.
 */
export function jsonPatch(target: unknown, operations: unknown): PatchResult {
  if (!Array.isArray(operations)) {
    return {
      ok: false,
      error: { code: 'BadPatchFormat', message: 'a JSON patch must be a JSON array of operations' },
    };
  }
  try {
    const result = jsonpatch.applyPatch(
      structuredClone(target),
      structuredClone(operations) as Operation[],
      true,
      true,
    );
    return { ok: true, value: result.newDocument };
  } catch (err) {
    if (!(err instanceof jsonpatch.JsonPatchError)) {
      // fast-json-patch throws a plain TypeError for `__proto__` / `constructor/prototype` paths.
      if (err instanceof TypeError && /banned/.test(err.message)) {
        return {
          ok: false,
          error: { code: 'InvalidOperation', message: `json patch failed: ${err.message}` },
        };
      }
      throw err;
    }
    const index = err.index;
    const operation = index !== undefined ? (operations[index] as unknown) : err.operation;
    const path = isObject(operation) && typeof operation.path === 'string' ? operation.path : undefined;
    const code = JSON_PATCH_CODES[err.name] ?? 'InvalidOperation';
    const firstLine = err.message.split('\n')[0] ?? err.message;
    const where = index !== undefined ? `operation ${index}` : 'patch';
    const what = isObject(operation) ? ` (${String(operation.op)} ${String(operation.path)})` : '';
    return {
      ok: false,
      error: {
        code,
        message: `json patch ${where}${what} failed: ${firstLine}`,
        ...(path !== undefined ? { path } : {}),
        ...(index !== undefined ? { operationIndex: index } : {}),
        ...(operation !== undefined ? { operation } : {}),
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch, the apply half).
//
// Lists merge per the field's x-kubernetes-patch-strategy: `merge` with a merge key merges
// elements that have the same key and appends the others; `merge` on a list of primitives takes
// the union; anything else replaces the list. Maps merge recursively unless the strategy is
// `replace`. Directives:
//   {"$patch": "replace"}   in a map: the map becomes the patch; as a list element: the list becomes the patch's other elements
//   {"$patch": "delete"}    in a map: the map becomes {}; as a list element: delete the element with that merge key
//   "$retainKeys": [...]    drop the original's keys not listed (fields with the retainKeys strategy)
//   "$deleteFromPrimitiveList/f": [...]   remove these values from the primitive list f
//   "$setElementOrder/f": [...]           the order of list f's elements (values, or {mergeKey: value})

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

interface FieldMeta {
  /** Schema of the field's value (an array's element schema for `forSlice`). */
  schema: Schema | undefined;
  strategies: string[];
  mergeKey: string | undefined;
}

function fieldMeta(parent: Schema | undefined, key: string, forSlice: boolean): FieldMeta {
  const resolved = parent ? resolveSchema(parent) : undefined;
  let field: Schema | undefined;
  if (resolved?.properties) field = resolved.properties[key];
  else if (typeof resolved?.additionalProperties === 'object') field = resolved.additionalProperties;
  if (!field) return { schema: undefined, strategies: [], mergeKey: undefined };
  const strategies = (field['x-kubernetes-patch-strategy'] ?? '').split(',').filter(Boolean);
  let schema: Schema | undefined = field;
  if (forSlice) schema = resolveSchema(field)?.items;
  return { schema, strategies, mergeKey: field['x-kubernetes-patch-merge-key'] };
}

/** `merge,retainKeys` → `merge`; `retainKeys` → ``. */
function mainStrategy(strategies: string[]): string {
  const rest = strategies.filter((s) => s !== 'retainKeys');
  return rest[0] ?? '';
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function kindOf(value: unknown): 'map' | 'list' | 'scalar' {
  if (Array.isArray(value)) return 'list';
  return isObject(value) ? 'map' : 'scalar';
}

/**
 * Cleans a value taken from the patch as is (its key is new to the original): list elements that
 * are directives (`{"$patch": "delete", name: x}`, `{"$patch": "replace"}`) and maps marked
 * `$patch: delete` go; `$patch: replace` maps keep their content; directive keys go; nulls go (there
 * is nothing to delete).
 */
function removeDirectives(value: unknown, inList = false): { keep: boolean; value: unknown } {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const r = removeDirectives(item, true);
      if (r.keep) out.push(r.value);
    }
    return { keep: true, value: out };
  }
  if (!isObject(value)) return { keep: true, value };
  if (DIRECTIVE in value && (inList || value[DIRECTIVE] === 'delete'))
    return { keep: false, value: undefined };
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (value[key] === null) continue;
    const r = removeDirectives(value[key]);
    if (r.keep) setOwn(out, key, r.value);
  }
  return { keep: true, value: out };
}

function takePatchValue(original: JsonObject, key: string, patchValue: unknown): void {
  const r = removeDirectives(patchValue);
  if (r.keep) setOwn(original, key, r.value);
  else delete original[key];
}

function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  schema: Schema | undefined,
  path: string,
): JsonObject {
  if (DIRECTIVE in patch) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      return removeDirectives(patch).value as JsonObject;
    }
    if (directive === 'delete') return {};
    if (directive !== 'merge') {
      fail(
        'BadDirective',
        `Unknown patch type: ${JSON.stringify(directive)} in map: must be "replace", "delete" or "merge"`,
        path,
      );
    }
    delete patch[DIRECTIVE];
  }

  applyRetainKeys(original, patch, path);
  applySetElementOrder(original, patch, schema, path);

  for (const rawKey of Object.keys(patch)) {
    const patchValue = patch[rawKey];
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = rawKey.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      if (!key) fail('BadPatchFormat', `invalid patch key ${rawKey}`, path);
      isDeleteList = true;
    } else if (rawKey.startsWith('$')) {
      fail('BadDirective', `unknown strategic merge patch directive ${JSON.stringify(rawKey)}`, path);
    }
    const fieldPath = childPath(path, key);

    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const originalValue = Object.hasOwn(original, key) ? original[key] : undefined;
    if (originalValue === undefined || kindOf(originalValue) !== kindOf(patchValue)) {
      if (isDeleteList) {
        if (!Array.isArray(patchValue)) {
          fail('BadPatchFormat', `${rawKey} must be a list of values to delete`, path);
        }
      } else {
        takePatchValue(original, key, patchValue);
      }
      continue;
    }

    if (isObject(originalValue)) {
      const meta = fieldMeta(schema, key, false);
      if (mainStrategy(meta.strategies) === 'replace') takePatchValue(original, key, patchValue);
      else setOwn(original, key, mergeMap(originalValue, patchValue as JsonObject, meta.schema, fieldPath));
    } else if (Array.isArray(originalValue)) {
      const meta = fieldMeta(schema, key, true);
      const list = patchValue as unknown[];
      if (isDeleteList) {
        setOwn(original, key, deleteFromList(originalValue, list));
      } else if (mainStrategy(meta.strategies) === 'merge') {
        setOwn(original, key, mergeList(originalValue, list, meta.schema, meta.mergeKey, fieldPath));
      } else {
        takePatchValue(original, key, patchValue);
      }
    } else {
      setOwn(original, key, patchValue);
    }
  }
  return original;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject, path: string): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) fail('BadPatchFormat', `${RETAIN_KEYS} must be a list of field names`, path);
  const keep = new Set(retain);
  for (const key of Object.keys(patch)) {
    if (
      patch[key] === null ||
      key.startsWith(DELETE_FROM_PRIMITIVE_LIST) ||
      key.startsWith(SET_ELEMENT_ORDER)
    ) {
      continue;
    }
    if (!keep.has(key)) {
      fail(
        'BadPatchFormat',
        `the patch sets ${JSON.stringify(key)}, which is not in its ${RETAIN_KEYS} list`,
        path,
      );
    }
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

function applySetElementOrder(
  original: JsonObject,
  patch: JsonObject,
  schema: Schema | undefined,
  path: string,
): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const key = directiveKey.slice(SET_ELEMENT_ORDER.length);
    const fieldPath = childPath(path, key);
    if (!key || !Array.isArray(order)) {
      fail('BadPatchFormat', `${directiveKey} must be a list giving the order of ${key || 'a list'}`, path);
    }
    const hasOriginal = Object.hasOwn(original, key) && original[key] !== null;
    const hasPatch = Object.hasOwn(patch, key) && patch[key] !== null;
    const originalList = hasOriginal ? original[key] : [];
    const patchList = hasPatch ? patch[key] : [];
    if (!Array.isArray(originalList) || !Array.isArray(patchList)) {
      fail('BadPatchFormat', `${directiveKey} applies to ${key}, which is not a list`, path);
    }
    const meta = fieldMeta(schema, key, true);
    const mergeKey = meta.mergeKey;
    validateOrderList(patchList, order, mergeKey, fieldPath);

    let merged: unknown[];
    if (hasOriginal && !hasPatch) merged = originalList;
    else if (!hasOriginal && hasPatch) merged = removeDirectives(patchList).value as unknown[];
    else if (!hasOriginal && !hasPatch) continue;
    else if (mainStrategy(meta.strategies) === 'merge') {
      merged = mergeList(originalList, patchList, meta.schema, mergeKey, fieldPath);
    } else {
      merged = removeDirectives(patchList).value as unknown[];
    }

    const inOrder = (item: unknown) => indexIn(order, item, mergeKey, fieldPath) >= 0;
    const patchItems = merged.filter(inOrder);
    const serverOnly = merged.filter((item) => !inOrder(item));
    setOwn(original, key, normalizeOrder(patchItems, serverOnly, order, originalList, mergeKey, fieldPath));
    delete patch[key];
  }
}

/** The patch's elements must appear in the $setElementOrder list, in the same relative order. */
function validateOrderList(
  patchList: unknown[],
  order: unknown[],
  mergeKey: string | undefined,
  path: string,
): void {
  const items = patchList.filter((item) => !(isObject(item) && DIRECTIVE in item));
  let p = 0;
  for (let o = 0; p < items.length && o < order.length; o++) {
    if (sameElement(items[p], order[o], mergeKey, path)) p++;
  }
  if (p < items.length) {
    fail(
      'BadPatchFormat',
      `the order in the patch list doesn't match the ${SET_ELEMENT_ORDER}${path.split('.').pop()} list`,
      path,
    );
  }
}

function mergeKeyValue(item: unknown, mergeKey: string, path: string): unknown {
  if (!isObject(item)) fail('BadPatchFormat', `expected a map in a list merged by ${mergeKey}`, path);
  if (!Object.hasOwn(item, mergeKey)) {
    fail(
      'MissingMergeKey',
      `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
      path,
    );
  }
  return item[mergeKey];
}

function sameElement(a: unknown, b: unknown, mergeKey: string | undefined, path: string): boolean {
  if (!mergeKey) return a === b;
  return mergeKeyValue(a, mergeKey, path) === mergeKeyValue(b, mergeKey, path);
}

function indexIn(list: unknown[], item: unknown, mergeKey: string | undefined, path: string): number {
  if (!mergeKey) return list.indexOf(item);
  const value = isObject(item) ? item[mergeKey] : undefined;
  for (let i = 0; i < list.length; i++) {
    const candidate = list[i];
    if (isObject(candidate) && candidate[mergeKey] === value) return i;
  }
  void path;
  return -1;
}

function deleteFromList(original: unknown[], toDelete: unknown[]): unknown[] {
  const drop = new Set(toDelete);
  return original.filter((item) => !drop.has(item));
}

function mergeList(
  original: unknown[],
  patch: unknown[],
  itemSchema: Schema | undefined,
  mergeKey: string | undefined,
  path: string,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const hasMaps = [...original, ...patch].some(isObject);
  if (!hasMaps) {
    // A primitive list with the merge strategy: the union, patch order first among patch items.
    const merged = [...new Set([...original, ...patch])];
    const inPatch = new Set(patch);
    return normalizeOrder(
      merged.filter((v) => inPatch.has(v)),
      merged.filter((v) => !inPatch.has(v)),
      patch,
      original,
      undefined,
      path,
    );
  }
  if ([...original, ...patch].some((v) => !isObject(v))) {
    fail('BadPatchFormat', 'a merged list must hold only maps or only primitive values', path);
  }
  if (!mergeKey) fail('BadPatchFormat', 'cannot merge lists of maps without a merge key', path);

  // Directive elements first: deletions, and "replace the whole list".
  let base = original;
  let plain: unknown[] = [];
  let replace = false;
  patch.forEach((item, i) => {
    const element = item as JsonObject;
    if (!(DIRECTIVE in element)) {
      plain.push(element);
      return;
    }
    const directive = element[DIRECTIVE];
    const elementPath = `${path}[${i}]`;
    if (directive === 'delete') {
      const value = mergeKeyValue(element, mergeKey, elementPath);
      base = base.filter((o) => !(isObject(o) && o[mergeKey] === value));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      fail('BadDirective', 'merging lists cannot yet be specified in the patch', elementPath);
    } else {
      fail('BadDirective', `Unknown patch type: ${JSON.stringify(directive)} in list element`, elementPath);
    }
  });
  if (replace) {
    base = plain.map((item) => removeDirectives(item, false).value);
    plain = [];
  }

  const merged = [...base];
  plain.forEach((item, i) => {
    const element = item as JsonObject;
    const elementPath = `${path}[${i}]`;
    const value = mergeKeyValue(element, mergeKey, elementPath);
    const at = merged.findIndex((o) => isObject(o) && o[mergeKey] === value);
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, element, itemSchema, elementPath);
    else merged.push(removeDirectives(element, false).value);
  });

  const inPatch = (item: unknown) => indexIn(plain, item, mergeKey, path) >= 0;
  return normalizeOrder(
    merged.filter(inPatch),
    merged.filter((item) => !inPatch(item)),
    plain,
    base,
    mergeKey,
    path,
  );
}

/**
 * Orders a merged list: the patch's items in `patchOrder`, the server-only items in `serverOrder`,
 * then interleaves them so each server-only item goes before the first patch item that came after
 * it in the live list (strategicpatch normalizeElementOrder / mergeSortedSlice).
 */
function normalizeOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
  path: string,
): unknown[] {
  const byOrder = (order: unknown[]) => (a: unknown, b: unknown) =>
    indexIn(order, a, mergeKey, path) - indexIn(order, b, mergeKey, path);
  const left = [...serverOnly].sort(byOrder(serverOrder));
  const right = [...patchItems].sort(byOrder(patchOrder));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, path);
      const ri = indexIn(serverOrder, right[j], mergeKey, path);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/**
 * Applies a strategic merge patch to `original`, using the patch metadata of `definitionName`
 * (`io.k8s.api.apps.v1.Deployment`). Fields the schema does not know merge like JSON merge patch,
 * with lists replaced.
 */
export function strategicMergePatch(original: unknown, patch: unknown, definitionName: string): PatchResult {
  const schema = getDefinition(refName(definitionName));
  if (!schema) throw new Error(`unknown definition ${definitionName}`);
  if (!isObject(patch)) {
    return {
      ok: false,
      error: { code: 'BadPatchFormat', message: 'a strategic merge patch must be a JSON object' },
    };
  }
  const base = isObject(original) ? structuredClone(original) : {};
  return run(() => mergeMap(base, structuredClone(patch), schema, ''));
}
