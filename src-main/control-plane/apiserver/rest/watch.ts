// WATCH: a stream of `{"type":…,"object":…}` lines. Served from the watch cache: initial state (for
// a watch without resourceVersion, or sendInitialEvents), then a replay of recent events from the
// cache's ring, then live events — registered in the same tick, so nothing falls between. A watch
// from further back than the ring reaches is served by a store watch; from before compaction it gets
// 410 Gone, as in Kubernetes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf } from '../../../shared/resources';
import type { ResourceInfo } from '../../../shared/resources';
import type { Watch } from '../../store/types';
import { isStoreError } from '../../store/types';
import { errors } from '../errors';
import { responseForm } from '../http';
import type { KindStrategy } from '../kinds/types';
import type { ResourceRequest } from '../request-info';
import { collectionPrefix, objectKey } from '../storage/keys';
import type { CacheWatcher, CachedObject, EventType } from '../storage/watch-cache';
import { deliverFiltered, toCacheEvent } from '../storage/watch-cache';
import type { RestContext } from './context';
import { nameFromFieldSelector, selectorPredicate } from './selectors';
import { columnDefinitions, includeObjectOf, partialMetadata, tableRow } from './table';

/** A watcher whose client stops reading is cut off rather than buffering without bound. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export async function handleWatch(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  strategy: KindStrategy,
): Promise<void> {
  const q = info.query;
  const predicate = selectorPredicate(strategy, q);
  const rvParam = q.get('resourceVersion') ?? '';
  const sendInitialEvents = q.get('sendInitialEvents') === 'true';
  const wantsBookmarks = q.get('allowWatchBookmarks') === 'true' || sendInitialEvents;
  const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '0');
  const form = responseForm(req);
  const include = includeObjectOf(q);

  const name = info.name ?? nameFromFieldSelector(q);
  const exactKey = name !== undefined ? objectKey(r, name, info.namespace) : undefined;
  const keyPrefix = collectionPrefix(r, info.namespace);

  let afterRev: number | undefined;
  if (rvParam !== '' && rvParam !== '0') {
    afterRev = Number(rvParam);
    if (!Number.isInteger(afterRev) || afterRev < 0)
      throw errors.badRequest(`invalid resourceVersion "${rvParam}"`);
  }
  const initial = sendInitialEvents || afterRev === undefined;
  if (rvParam === '' || sendInitialEvents) await ctx.cache.sync();
  else if (afterRev !== undefined && afterRev > ctx.cache.currentRevision()) {
    const current = await ctx.store.currentRevision();
    if (afterRev > current) throw errors.tooLargeResourceVersion(afterRev, current);
    await ctx.cache.waitFor(afterRev);
  }

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  const now = () => ctx.clock();
  let sentColumns = false;
  let closed = false;
  const encode = (
    type: EventType | 'BOOKMARK' | 'ERROR',
    o: CachedObject | undefined,
    raw?: unknown,
  ): string => {
    if (raw !== undefined) return `{"type":"${type}","object":${JSON.stringify(raw)}}\n`;
    if (form === 'object') return `{"type":"${type}","object":${o!.json}}\n`;
    if (form === 'metadata')
      return `{"type":"${type}","object":${JSON.stringify(partialMetadata(o!.obj))}}\n`;
    const tableObj = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: String(o!.rev) },
      columnDefinitions: sentColumns ? null : columnDefinitions(strategy),
      rows: [tableRow(strategy, o!.obj, include, now())],
    };
    sentColumns = true;
    return `{"type":"${type}","object":${JSON.stringify(tableObj)}}\n`;
  };

  let lastRev = afterRev ?? 0;
  const write = (line: string) => {
    if (closed) return;
    res.write(line);
    if (res.writableLength > MAX_BUFFERED_BYTES) finish();
  };

  const watcher: CacheWatcher = {
    keyPrefix,
    ...(exactKey !== undefined ? { exactKey } : {}),
    matches: predicate,
    deliver(type, object) {
      lastRev = Math.max(lastRev, object.rev);
      write(encode(type, object));
    },
  };

  const cache = ctx.cache.cacheFor(r);
  let storeWatch: Watch | undefined;
  const timers: NodeJS.Timeout[] = [];

  function finish() {
    if (closed) return;
    closed = true;
    cache.unwatch(watcher);
    storeWatch?.stop();
    for (const t of timers) clearTimeout(t);
    res.end();
  }
  req.on('close', finish);
  res.on('error', finish);

  const bookmark = (rev: number, initialEventsEnd = false) => {
    const metadata: Record<string, unknown> = { resourceVersion: String(rev) };
    if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    write(encode('BOOKMARK', undefined, { kind: r.kind, apiVersion: apiVersionOf(r), metadata }));
  };

  if (initial) {
    const rev = ctx.cache.currentRevision();
    const current =
      exactKey !== undefined ? [cache.get(exactKey)].filter((o) => o !== undefined) : cache.list(keyPrefix);
    for (const o of current) if (predicate(o.obj)) write(encode('ADDED', o));
    lastRev = rev;
    cache.watchLive(watcher);
    if (sendInitialEvents) bookmark(rev, true);
  } else if (!cache.watchFrom(watcher, afterRev!)) {
    // Older than the cache's ring: replay from the store's history.
    try {
      storeWatch = await ctx.store.watch(exactKey ?? keyPrefix, { afterRevision: afterRev! }, (events) => {
        for (const ev of events) {
          if (exactKey !== undefined && ev.kv.key !== exactKey) continue;
          deliverFiltered(watcher, toCacheEvent(ev));
        }
      });
    } catch (err) {
      if (!isStoreError(err, 'Compacted')) throw err;
      const gone = errors.gone(`too old resource version: ${afterRev} (${err.compactRevision ?? 0})`);
      write(encode('ERROR', undefined, gone.toStatus()));
      finish();
      return;
    }
  }

  // Cache watchers get every event synchronously as the cache applies it, so the cache's revision is
  // always a safe bookmark for them.
  if (wantsBookmarks && !storeWatch) {
    const tick = () => {
      if (closed) return;
      bookmark(Math.max(lastRev, ctx.cache.currentRevision()));
      timers[0] = setTimeout(tick, ctx.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, ctx.bookmarkIntervalMs);
  }
  if (timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000));
}
