// GET of one object and LIST of a collection, served from the watch cache (after it has caught up
// with the store, so a client always reads its own writes), or from the store for a continue token
// whose snapshot the cache has moved past.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf } from '../../../shared/resources';
import type { ResourceInfo } from '../../../shared/resources';
import { isStoreError } from '../../store/types';
import { errors } from '../errors';
import type { KindStrategy, KubeObject } from '../kinds/types';
import { responseForm, sendJson, sendRaw } from '../http';
import type { ResourceRequest } from '../request-info';
import { collectionPrefix, objectKey } from '../storage/keys';
import type { CachedObject } from '../storage/watch-cache';
import { toCachedObject } from '../storage/watch-cache';
import type { RestContext } from './context';
import { selectorPredicate } from './selectors';
import type { Predicate } from './selectors';
import { includeObjectOf, partialMetadata, table } from './table';

export async function getObject(
  ctx: RestContext,
  r: ResourceInfo,
  name: string,
  namespace: string | undefined,
): Promise<CachedObject> {
  await ctx.cache.sync();
  const found = ctx.cache.cacheFor(r).get(objectKey(r, name, namespace));
  if (!found) throw errors.notFound({ group: r.group, kind: r.plural, name });
  return found;
}

export async function handleGet(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  strategy: KindStrategy,
): Promise<void> {
  const found = await getObject(ctx, r, info.name!, info.namespace);
  const form = responseForm(req);
  if (form === 'table') {
    const meta = { resourceVersion: String(found.rev) };
    sendJson(res, 200, table(strategy, [found.obj], includeObjectOf(info.query), ctx.clock(), meta));
  } else if (form === 'metadata') {
    sendJson(res, 200, partialMetadata(found.obj));
  } else {
    sendRaw(res, 200, found.json);
  }
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', ...token })).toString('base64url');
}

function decodeContinue(value: string, prefix: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof t.rv === 'number' && typeof t.start === 'string' && t.start.startsWith(prefix)) {
      return { rv: t.rv, start: t.start };
    }
  } catch {
    // fall through to the error below
  }
  throw errors.badRequest(
    'continue key is not valid: the continue token is malformed or belongs to another list',
  );
}

function parseLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw errors.badRequest(`limit must be a non-negative integer, got "${raw}"`);
  return n;
}

export interface ListResult {
  items: CachedObject[];
  rev: number;
  continueToken?: string;
  remaining?: number;
}

const TOO_OLD_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

/** Collects one page of matching objects. */
export async function listObjects(
  ctx: RestContext,
  r: ResourceInfo,
  namespace: string | undefined,
  query: URLSearchParams,
  predicate: Predicate,
): Promise<ListResult> {
  const prefix = collectionPrefix(r, namespace);
  const limit = parseLimit(query);
  const continueParam = query.get('continue');
  const token = continueParam ? decodeContinue(continueParam, prefix) : undefined;
  const rvParam = query.get('resourceVersion');
  const rvMatch = query.get('resourceVersionMatch');

  let snapshotRev: number;
  if (token) snapshotRev = token.rv;
  else if (rvParam === '0') snapshotRev = ctx.cache.currentRevision();
  else if (rvParam) {
    const wanted = Number(rvParam);
    if (!Number.isInteger(wanted) || wanted < 0)
      throw errors.badRequest(`invalid resourceVersion "${rvParam}"`);
    if (rvMatch === 'Exact') snapshotRev = wanted;
    else {
      await waitForRevision(ctx, wanted);
      snapshotRev = ctx.cache.currentRevision();
    }
  } else snapshotRev = await ctx.cache.sync();

  if (snapshotRev === ctx.cache.currentRevision()) {
    const all = ctx.cache.cacheFor(r).list(prefix, token?.start);
    return page(all, predicate, limit, snapshotRev, (start) => encodeContinue({ rv: snapshotRev, start }));
  }
  // A snapshot the cache has moved past: read the store as of that revision.
  return listFromStore(ctx, prefix, token?.start, snapshotRev, predicate, limit);
}

function page(
  all: CachedObject[],
  predicate: Predicate,
  limit: number,
  rev: number,
  encode: (start: string) => string,
): ListResult {
  const items: CachedObject[] = [];
  let i = 0;
  for (; i < all.length; i++) {
    const o = all[i]!;
    if (!predicate(o.obj)) continue;
    if (limit > 0 && items.length === limit) break;
    items.push(o);
  }
  if (limit > 0 && i < all.length) {
    let remaining = 0;
    for (let j = i; j < all.length; j++) if (predicate(all[j]!.obj)) remaining++;
    if (remaining > 0) return { items, rev, continueToken: encode(all[i]!.key), remaining };
  }
  return { items, rev };
}

async function listFromStore(
  ctx: RestContext,
  prefix: string,
  start: string | undefined,
  rev: number,
  predicate: Predicate,
  limit: number,
): Promise<ListResult> {
  const items: CachedObject[] = [];
  let next = start;
  for (;;) {
    let result;
    try {
      result = await ctx.store.list(prefix, {
        revision: rev,
        limit: limit > 0 ? limit + 1 : 0,
        ...(next ? { startKey: next } : {}),
      });
    } catch (err) {
      if (isStoreError(err, 'Compacted')) throw errors.gone(TOO_OLD_CONTINUE);
      throw err;
    }
    for (const kv of result.kvs) {
      const o = toCachedObject({ ...kv });
      if (!predicate(o.obj)) continue;
      if (limit > 0 && items.length === limit) {
        return { items, rev, continueToken: encodeContinue({ rv: rev, start: kv.key }) };
      }
      items.push(o);
    }
    if (!result.more || result.kvs.length === 0) return { items, rev };
    next = result.kvs[result.kvs.length - 1]!.key + '\u0000';
  }
}

async function waitForRevision(ctx: RestContext, rev: number): Promise<void> {
  if (rev <= ctx.cache.currentRevision()) return;
  const current = await ctx.store.currentRevision();
  if (rev > current) {
    throw errors.tooLargeResourceVersion(rev, current);
  }
  await ctx.cache.waitFor(rev);
}

export async function handleList(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  strategy: KindStrategy,
): Promise<void> {
  const predicate = selectorPredicate(strategy, info.query);
  const result = await listObjects(ctx, r, info.namespace, info.query, predicate);
  const meta: Record<string, unknown> = { resourceVersion: String(result.rev) };
  if (result.continueToken) meta.continue = result.continueToken;
  if (result.remaining !== undefined) meta.remainingItemCount = result.remaining;

  const form = responseForm(req);
  if (form === 'table') {
    const objects: KubeObject[] = result.items.map((o) => o.obj);
    sendJson(res, 200, table(strategy, objects, includeObjectOf(info.query), ctx.clock(), meta));
    return;
  }
  if (form === 'metadata') {
    sendJson(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
      items: result.items.map((o) => partialMetadata(o.obj)),
    });
    return;
  }
  // Concatenate the cached serializations: a 10,000-pod list costs no per-object stringify.
  const head = `{"kind":${JSON.stringify(r.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(r))},"metadata":${JSON.stringify(meta)},"items":[`;
  sendRaw(res, 200, head + result.items.map((o) => o.json).join(',') + ']}');
}
