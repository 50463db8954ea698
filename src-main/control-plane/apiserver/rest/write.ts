// The write path: create, update, patch, delete. Each runs the same pipeline — decode, default,
// validate, admit — then one guarded store write. Updates without a resourceVersion precondition
// (and patches) retry on conflict against the fresh object, like Kubernetes' GuaranteedUpdate.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../../../shared/resources';
import type { StatusCause } from '../../../shared/status';
import { isStoreError } from '../../store/types';
import { ApiError, errors } from '../errors';
import { mediaType, parseObjectBody, readBody, sendJson, warningHeader } from '../http';
import type { KindStrategy, KubeObject } from '../kinds/types';
import type { ResourceRequest } from '../request-info';
import { collectionPrefix, objectKey } from '../storage/keys';
import type { CachedObject } from '../storage/watch-cache';
import type { RestContext } from './context';
import { checkSchema, expectKind, fieldValidationOf, readObject } from './decode';
import {
  clone,
  deepEqual,
  generatedName,
  isPlainObject,
  storedJson,
  timestamp,
  withResourceVersion,
} from './objects';

// Updates without a precondition retry until they land, as Kubernetes' GuaranteedUpdate does; the
// bound only stops a pathological livelock.
const MAX_RETRIES = 1000;

/** Namespaces that always exist and cannot be deleted. */
export const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All')
      throw errors.badRequest(`unsupported dryRun value "${v}": the only supported value is "All"`);
  }
  return values.length > 0;
}

function hasStatus(r: ResourceInfo): boolean {
  return r.subresources?.includes('status') ?? false;
}

function target(r: ResourceInfo, name: string | undefined) {
  return { group: r.group, kind: r.plural, name: name ?? '' };
}

function invalid(r: ResourceInfo, name: string | undefined, causes: StatusCause[]): ApiError {
  return errors.invalid(r.kind, { group: r.group, name: name ?? '' }, causes);
}

function respond(res: ServerResponse, code: number, obj: KubeObject, warnings: string[]) {
  sendJson(res, code, obj, warnings.length > 0 ? { Warning: warningHeader(warnings) } : {});
}

/**
 * NamespaceLifecycle admission: objects go only into namespaces that exist and are not terminating.
 * Reads the cache as it is: the caller has synced it with the store.
 */
function admitNamespace(
  ctx: RestContext,
  r: ResourceInfo,
  namespace: string | undefined,
  name: string,
): void {
  if (!r.namespaced || namespace === undefined) return;
  const nsResource = ctx.resources.find((x) => x.group === '' && x.plural === 'namespaces')!;
  const ns = ctx.cache.cacheFor(nsResource).get(objectKey(nsResource, namespace));
  if (!ns) throw errors.notFound({ group: '', kind: 'namespaces', name: namespace });
  if (ns.obj.metadata?.deletionTimestamp) {
    const what = r.group ? `${r.plural}.${r.group}` : r.plural;
    throw errors.forbidden(
      `${what} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      target(r, name),
    );
  }
}

// ---------------------------------------------------------------------------------------------- create

export async function handleCreate(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  strategy: KindStrategy,
): Promise<void> {
  const validation = fieldValidationOf(info.query);
  const dryRun = isDryRun(info.query);
  const obj = expectKind(await readObject(req), r);
  const { object, warnings } = await createObject(ctx, r, strategy, obj, info.namespace, validation, dryRun);
  respond(res, 201, object, warnings);
}

export async function createObject(
  ctx: RestContext,
  r: ResourceInfo,
  strategy: KindStrategy,
  obj: KubeObject,
  namespace: string | undefined,
  validation: 'Strict' | 'Warn' | 'Ignore',
  dryRun: boolean,
): Promise<{ object: KubeObject; warnings: string[] }> {
  const meta = obj.metadata!;
  if (r.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      throw errors.badRequest(
        `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${namespace})`,
      );
    }
    meta.namespace = namespace;
  } else {
    delete meta.namespace;
  }
  const warnings = checkSchema(ctx, r, obj, validation);

  if (!meta.name) {
    if (!meta.generateName) {
      throw invalid(r, '', [
        {
          reason: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    meta.name = generatedName(meta.generateName);
  }
  // Fields only the server sets.
  meta.uid = randomUUID();
  meta.creationTimestamp = timestamp(ctx.clock());
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (strategy.generationOnSpecChange) meta.generation = 1;
  else delete meta.generation;
  // Status is written through the status subresource; Nodes register with theirs (as in Kubernetes).
  if (hasStatus(r) && r.kind !== 'Node') delete obj.status;

  strategy.defaults?.(obj);
  strategy.prepareForCreate?.(obj);
  ctx.hooks(r)?.admitCreate?.(obj);
  const causes = strategy.validateCreate?.(obj) ?? [];
  if (causes.length > 0) throw invalid(r, meta.name, causes);
  // One catch-up with the store serves both checks below.
  await ctx.cache.sync();
  admitNamespace(ctx, r, meta.namespace, meta.name);

  if (dryRun) return { object: obj, warnings };
  const key = objectKey(r, meta.name, meta.namespace);
  if (ctx.cache.cacheFor(r).get(key)) throw errors.alreadyExists(target(r, meta.name));
  const undo = await ctx.hooks(r)?.beforeCreate?.(obj);
  try {
    const kv = await ctx.store.create(key, storedJson(obj));
    return { object: withResourceVersion(obj, kv.modRevision), warnings };
  } catch (err) {
    await undo?.();
    if (isStoreError(err, 'KeyExists')) throw errors.alreadyExists(target(r, meta.name));
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------- update

/** What a write may change: the main resource, or a status-like subresource (`approval` for CSRs). */
type Part = 'main' | 'status' | 'approval';

/**
 * Computes the object to store from what the client sent (`incoming`) and what is stored (`current`):
 * server-owned metadata is kept, status or spec kept depending on the part being written, generation
 * bumped on spec changes. Returns undefined for a no-op.
 */
function prepareUpdate(
  r: ResourceInfo,
  strategy: KindStrategy,
  incoming: KubeObject,
  current: CachedObject,
  part: Part,
): KubeObject | undefined {
  const old = current.obj;
  const oldMeta = old.metadata ?? {};
  let next: KubeObject;
  if (part !== 'main') {
    // Only status changes through /status (and /approval); everything else stays as stored.
    next = { ...clone(old), status: incoming.status };
  } else {
    next = incoming;
    if (hasStatus(r)) {
      if (old.status === undefined) delete next.status;
      else next.status = clone(old.status);
    }
  }
  const meta = (next.metadata = next.metadata ?? {});
  meta.name = oldMeta.name;
  if (r.namespaced) meta.namespace = oldMeta.namespace;
  meta.uid = oldMeta.uid;
  meta.creationTimestamp = oldMeta.creationTimestamp;
  if (oldMeta.deletionTimestamp !== undefined) {
    meta.deletionTimestamp = oldMeta.deletionTimestamp;
    if (oldMeta.deletionGracePeriodSeconds !== undefined)
      meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  } else {
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
  }
  delete meta.resourceVersion;

  // Defaults first: a client that re-sends `cpu: 0.5` for a stored `500m` has not changed the spec.
  strategy.defaults?.(next);
  if (part === 'main') strategy.prepareForUpdate?.(next, old);
  else strategy.prepareForStatusUpdate?.(next, old, part);
  if (oldMeta.generation !== undefined) {
    meta.generation =
      strategy.generationOnSpecChange && part === 'main' && !deepEqual(next.spec, old.spec)
        ? oldMeta.generation + 1
        : oldMeta.generation;
  } else delete meta.generation;

  const causes = strategy.validateUpdate?.(next, old) ?? [];
  if (causes.length > 0) throw invalid(r, oldMeta.name, causes);

  const oldComparable = { ...old, metadata: { ...oldMeta, resourceVersion: undefined } };
  if (deepEqual(next, oldComparable)) return undefined;
  return next;
}

/** Writes `next` over `current`; if the object is being deleted and its last finalizer went, deletes it. */
export async function commitUpdate(
  ctx: RestContext,
  r: ResourceInfo,
  current: CachedObject,
  next: KubeObject,
): Promise<KubeObject> {
  const meta = next.metadata!;
  if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && !hasSpecFinalizers(r, next)) {
    const kv = await ctx.store.delete(current.key, current.rev);
    await ctx.hooks(r)?.afterDelete?.(next);
    return withResourceVersion(next, kv.modRevision);
  }
  const kv = await ctx.store.update(current.key, storedJson(next), current.rev);
  return withResourceVersion(next, kv.modRevision);
}

function hasSpecFinalizers(r: ResourceInfo, obj: KubeObject): boolean {
  if (r.kind !== 'Namespace' || r.group !== '') return false;
  const f = (obj.spec as { finalizers?: unknown[] } | undefined)?.finalizers;
  return Array.isArray(f) && f.length > 0;
}

function conflict(r: ResourceInfo, name: string): ApiError {
  return errors.conflict(
    target(r, name),
    'the object has been modified; please apply your changes to the latest version and try again',
  );
}

async function currentOrNotFound(
  ctx: RestContext,
  r: ResourceInfo,
  key: string,
  name: string,
  fresh: boolean,
) {
  if (fresh) await ctx.cache.sync();
  const current = ctx.cache.cacheFor(r).get(key);
  if (!current) throw errors.notFound(target(r, name));
  return current;
}

/**
 * The guaranteed-update loop shared by PUT, PATCH and the subresources: `mutate` builds the object
 * the client wants from the current one; the loop stores it, retrying on a conflict unless the
 * client pinned a resourceVersion.
 */
export async function guaranteedUpdate(
  ctx: RestContext,
  r: ResourceInfo,
  strategy: KindStrategy,
  name: string,
  namespace: string | undefined,
  part: Part,
  dryRun: boolean,
  mutate: (current: CachedObject) => KubeObject,
): Promise<KubeObject> {
  const key = objectKey(r, name, namespace);
  for (let attempt = 0; ; attempt++) {
    const current = await currentOrNotFound(ctx, r, key, name, attempt === 0);
    const incoming = mutate(current);
    const pinned = incoming.metadata?.resourceVersion;
    if (pinned !== undefined && pinned !== '' && pinned !== String(current.rev)) throw conflict(r, name);
    const next = prepareUpdate(r, strategy, incoming, current, part);
    if (next === undefined || dryRun) return next ? withResourceVersion(next, current.rev) : current.obj;
    const reservation = part === 'main' ? await ctx.hooks(r)?.beforeUpdate?.(next, current.obj) : undefined;
    try {
      const stored = await commitUpdate(ctx, r, current, next);
      await reservation?.commit();
      return stored;
    } catch (err) {
      await reservation?.rollback();
      if (isStoreError(err, 'NotFound')) throw errors.notFound(target(r, name));
      if (!isStoreError(err, 'Conflict')) throw err;
      if ((pinned !== undefined && pinned !== '') || attempt >= MAX_RETRIES) throw conflict(r, name);
      await ctx.cache.waitFor(err.current?.modRevision ?? 0);
    }
  }
}

export async function handleUpdate(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  strategy: KindStrategy,
  part: Part,
): Promise<void> {
  const validation = fieldValidationOf(info.query);
  const dryRun = isDryRun(info.query);
  const body = expectKind(await readObject(req), r);
  const name = info.name!;
  if (body.metadata?.name !== undefined && body.metadata.name !== name) {
    throw errors.badRequest(
      `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  if (r.namespaced && body.metadata?.namespace && body.metadata.namespace !== info.namespace) {
    throw errors.badRequest(
      `the namespace of the provided object (${body.metadata.namespace}) does not match the namespace sent on the request (${info.namespace})`,
    );
  }
  const warnings = checkSchema(ctx, r, body, validation);
  await ctx.cache.sync();
  const exists = ctx.cache.cacheFor(r).get(objectKey(r, name, info.namespace)) !== undefined;
  if (!exists && part === 'main' && allowCreateOnUpdate(r)) {
    body.metadata = { ...body.metadata, name };
    const created = await createObject(ctx, r, strategy, body, info.namespace, 'Ignore', dryRun);
    respond(res, 201, created.object, warnings);
    return;
  }
  const object = await guaranteedUpdate(ctx, r, strategy, name, info.namespace, part, dryRun, () =>
    clone(body),
  );
  respond(res, 200, object, warnings);
}

/** Kinds Kubernetes lets a PUT create (the ones agents and controllers "upsert"). */
function allowCreateOnUpdate(r: ResourceInfo): boolean {
  return ['events', 'endpoints', 'leases', 'nodes'].includes(r.plural) && r.group !== 'apps';
}

// ----------------------------------------------------------------------------------------------- patch

export type PatchType = 'json' | 'merge' | 'strategic';

export function patchTypeOf(contentType: string): PatchType {
  switch (contentType) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      throw errors.unsupportedMediaType(
        `${contentType} (server-side apply is not supported yet; use client-side kubectl apply)`,
      );
    default:
      throw errors.unsupportedMediaType(contentType);
  }
}

export function applyPatch(
  ctx: RestContext,
  r: ResourceInfo,
  type: PatchType,
  current: KubeObject,
  patch: unknown,
): KubeObject {
  let result: unknown;
  try {
    if (type === 'json') {
      if (!Array.isArray(patch)) throw errors.badRequest('a JSON patch must be an array of operations');
      result = ctx.schema.jsonPatch(clone(current), patch);
    } else {
      if (!isPlainObject(patch)) throw errors.badRequest(`a ${type} merge patch must be a JSON object`);
      if (type === 'merge') result = ctx.schema.jsonMergePatch(clone(current), patch);
      else {
        const definition = ctx.schema.definitionFor(r);
        result = definition
          ? ctx.schema.strategicMergePatch(clone(current), patch, definition)
          : ctx.schema.jsonMergePatch(clone(current), patch);
      }
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const e = err as Error & { field?: string };
    throw errors.badRequest(
      `the ${type} patch could not be applied: ${e.message}`,
      e.field ? [{ reason: 'FieldValueInvalid', field: e.field, message: e.message }] : [],
    );
  }
  if (!isPlainObject(result)) throw errors.badRequest('the patch did not produce an object');
  return result as KubeObject;
}

export async function handlePatch(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  strategy: KindStrategy,
  part: Part,
): Promise<void> {
  const type = patchTypeOf(mediaType(req));
  const validation = fieldValidationOf(info.query);
  const dryRun = isDryRun(info.query);
  const patch = parseObjectBody(await readBody(req), 'application/json');
  let warnings: string[] = [];
  const name = info.name!;
  const object = await guaranteedUpdate(ctx, r, strategy, name, info.namespace, part, dryRun, (current) => {
    const patched = applyPatch(ctx, r, type, current.obj, patch);
    const checked = expectKind(patched, r);
    if (checked.metadata?.name !== name) {
      throw errors.badRequest(
        `the name of the object (${String(checked.metadata?.name)}) does not match the name on the URL (${name})`,
      );
    }
    // A resourceVersion the patch itself carries is a precondition; the one from the current object is not.
    if (
      checked.metadata?.resourceVersion === current.obj.metadata?.resourceVersion &&
      !patchSetsResourceVersion(patch)
    ) {
      delete checked.metadata!.resourceVersion;
    }
    warnings = checkSchema(ctx, r, checked, validation);
    return checked;
  });
  respond(res, 200, object, warnings);
}

function patchSetsResourceVersion(patch: unknown): boolean {
  if (Array.isArray(patch))
    return patch.some((op) => isPlainObject(op) && op.path === '/metadata/resourceVersion');
  const meta = isPlainObject(patch) ? patch.metadata : undefined;
  return isPlainObject(meta) && meta.resourceVersion !== undefined;
}

// ---------------------------------------------------------------------------------------------- delete

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export async function readDeleteOptions(
  req: IncomingMessage,
  query: URLSearchParams,
): Promise<DeleteOptions> {
  const body = await readBody(req);
  let opts: Record<string, unknown> = {};
  if (body.length > 0) {
    const parsed = parseObjectBody(body, mediaType(req));
    if (!isPlainObject(parsed)) throw errors.badRequest('DeleteOptions must be a JSON object');
    opts = parsed;
  }
  return parseDeleteOptions(opts, query);
}

/** DeleteOptions from a body (or an Eviction's `deleteOptions`), with query parameters taking precedence. */
export function parseDeleteOptions(opts: Record<string, unknown>, query: URLSearchParams): DeleteOptions {
  const grace = query.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
  const policy = query.get('propagationPolicy') ?? opts.propagationPolicy;
  const orphan = query.get('orphanDependents') ?? opts.orphanDependents;
  const out: DeleteOptions = {
    dryRun: isDryRun(query) || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All')),
  };
  if (grace !== undefined && grace !== null) {
    const n = Number(grace);
    if (!Number.isInteger(n))
      throw errors.badRequest(`gracePeriodSeconds must be an integer, got "${String(grace)}"`);
    out.gracePeriodSeconds = Math.max(0, n);
  }
  if (policy !== undefined && policy !== null) {
    if (policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
      throw invalid({ kind: 'DeleteOptions' } as ResourceInfo, '', [
        {
          reason: 'FieldValueNotSupported',
          field: 'propagationPolicy',
          message: `Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`,
        },
      ]);
    }
    out.propagationPolicy = policy;
  } else if (orphan === true || orphan === 'true') out.propagationPolicy = 'Orphan';
  if (isPlainObject(opts.preconditions))
    out.preconditions = opts.preconditions as DeleteOptions['preconditions'];
  return out;
}

/** How long a pod gets to stop. Pods that never ran on a node, or already finished, go at once. */
function gracePeriod(r: ResourceInfo, obj: KubeObject, requested: number | undefined): number {
  if (r.group !== '' || r.plural !== 'pods') return 0;
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return requested ?? spec.terminationGracePeriodSeconds ?? 30;
}

export async function deleteObject(
  ctx: RestContext,
  r: ResourceInfo,
  name: string,
  namespace: string | undefined,
  opts: DeleteOptions,
): Promise<{ object: KubeObject; finished: boolean }> {
  const key = objectKey(r, name, namespace);
  if (r.plural === 'namespaces' && r.group === '' && IMMORTAL_NAMESPACES.has(name)) {
    throw errors.forbidden(
      `namespace "${name}" is forbidden: this namespace may not be deleted`,
      target(r, name),
    );
  }
  for (let attempt = 0; ; attempt++) {
    const current = await currentOrNotFound(ctx, r, key, name, attempt === 0);
    const meta = current.obj.metadata ?? {};
    if (opts.preconditions?.uid !== undefined && opts.preconditions.uid !== meta.uid) {
      throw errors.conflict(
        target(r, name),
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${meta.uid}`,
      );
    }
    if (
      opts.preconditions?.resourceVersion !== undefined &&
      opts.preconditions.resourceVersion !== String(current.rev)
    ) {
      throw errors.conflict(
        target(r, name),
        `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${current.rev}`,
      );
    }

    const next = clone(current.obj);
    const nextMeta = next.metadata!;
    const finalizers = new Set(nextMeta.finalizers ?? []);
    if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    if (opts.propagationPolicy === 'Orphan') finalizers.add('orphan');
    const grace = gracePeriod(r, current.obj, opts.gracePeriodSeconds);
    const graceful = finalizers.size > 0 || grace > 0 || hasSpecFinalizers(r, next);

    let result: KubeObject;
    let finished: boolean;
    try {
      if (graceful) {
        const now = ctx.clock();
        const existingGrace = meta.deletionGracePeriodSeconds;
        if (
          meta.deletionTimestamp &&
          (existingGrace === undefined || existingGrace <= grace) &&
          finalizers.size === (meta.finalizers ?? []).length
        ) {
          return { object: current.obj, finished: false }; // already being deleted at least as fast
        }
        nextMeta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
        nextMeta.deletionGracePeriodSeconds = grace;
        if (finalizers.size > 0) nextMeta.finalizers = [...finalizers];
        if (r.plural === 'namespaces' && r.group === '')
          next.status = { ...next.status, phase: 'Terminating' };
        delete nextMeta.resourceVersion;
        if (opts.dryRun) return { object: next, finished: false };
        const kv = await ctx.store.update(key, storedJson(next), current.rev);
        result = withResourceVersion(next, kv.modRevision);
        finished = false;
      } else {
        if (opts.dryRun) return { object: current.obj, finished: true };
        const kv = await ctx.store.delete(key, current.rev);
        await ctx.hooks(r)?.afterDelete?.(current.obj);
        result = withResourceVersion(current.obj, kv.modRevision);
        finished = true;
      }
      return { object: result, finished };
    } catch (err) {
      if (isStoreError(err, 'NotFound')) throw errors.notFound(target(r, name));
      if (!isStoreError(err, 'Conflict') || attempt >= MAX_RETRIES) throw err;
      await ctx.cache.waitFor(err.current?.modRevision ?? 0);
    }
  }
}

export async function handleDelete(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
): Promise<void> {
  const opts = await readDeleteOptions(req, info.query);
  const { object, finished } = await deleteObject(ctx, r, info.name!, info.namespace, opts);
  // Kubernetes answers 202 Accepted while finalizers or a grace period hold the object, 200 once it is gone.
  sendJson(res, finished ? 200 : 202, object);
}

export async function handleDeleteCollection(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  matches: (obj: KubeObject) => boolean,
): Promise<void> {
  const opts = await readDeleteOptions(req, info.query);
  await ctx.cache.sync();
  const victims = ctx.cache
    .cacheFor(r)
    .list(collectionPrefix(r, info.namespace))
    .filter((o) => matches(o.obj));
  const deleted: KubeObject[] = [];
  for (const v of victims) {
    try {
      deleted.push(
        (await deleteObject(ctx, r, v.obj.metadata!.name!, v.obj.metadata!.namespace, opts)).object,
      );
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
  sendJson(res, 200, {
    kind: r.listKind,
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
    metadata: { resourceVersion: String(ctx.cache.currentRevision()) },
    items: deleted,
  });
}
