// Informers: list, then watch from the list's resourceVersion, folding events into an in-memory cache.
// The fold (`decideWatchEvent` / `applyWatchEvent`) is pure and ignores stale events, so a replayed or
// reordered event can never move the cache backwards. On 410 Gone, an ERROR event or a dropped
// connection the informer relists (with backoff) and tells its handlers what changed in between.
import type { ResourceInfo } from '../resources';
import { compareResourceVersions, keyOf, objectKey } from './meta';
import { isKubeApiError } from './types';
import type {
  Informer,
  InformerHandlers,
  InformerOptions,
  KubeApi,
  KubeObjectLike,
  Lister,
  WatchEvent,
} from './types';

// ------------------------------------------------------------------------------------------- fold

export interface CacheState<T> {
  readonly objects: ReadonlyMap<string, T>;
  /** The resourceVersion the cache reflects (list RV, then the last event or bookmark). */
  readonly resourceVersion: string;
}

/** What one watch event does to the cache. */
export type CacheChange<T> =
  | { type: 'none' }
  | { type: 'add'; key: string; obj: T }
  | { type: 'update'; key: string; oldObj: T; obj: T }
  | { type: 'delete'; key: string; obj: T };

export interface FoldResult<T> {
  change: CacheChange<T>;
  resourceVersion: string;
}

/** True when `incoming` is not newer than `cached` (a replayed or out-of-order event). */
function isStale(cached: KubeObjectLike | undefined, incoming: KubeObjectLike): boolean {
  if (!cached) return false;
  const cmp = compareResourceVersions(incoming.metadata?.resourceVersion, cached.metadata?.resourceVersion);
  return cmp !== undefined && cmp <= 0;
}

/**
 * Decides what a watch event does, without changing anything. ADDED/MODIFIED of an object whose
 * resourceVersion is not newer than the cached copy, and DELETED of an unknown or newer object, are
 * ignored. BOOKMARK only advances the resourceVersion. ERROR events are the caller's business.
 */
export function decideWatchEvent<T extends KubeObjectLike>(
  objects: ReadonlyMap<string, T>,
  resourceVersion: string,
  event: WatchEvent<T>,
): FoldResult<T> {
  const rv = event.object?.metadata?.resourceVersion;
  const nextRv = rv && compareResourceVersions(rv, resourceVersion) !== -1 ? rv : resourceVersion;
  if (event.type === 'BOOKMARK') return { change: { type: 'none' }, resourceVersion: nextRv };
  if (event.type === 'ERROR') return { change: { type: 'none' }, resourceVersion };
  const key = objectKey(event.object);
  const cached = objects.get(key);
  if (event.type === 'DELETED') {
    if (!cached) return { change: { type: 'none' }, resourceVersion: nextRv };
    const cmp = compareResourceVersions(rv, cached.metadata?.resourceVersion);
    if (cmp === -1) return { change: { type: 'none' }, resourceVersion: nextRv };
    return { change: { type: 'delete', key, obj: cached }, resourceVersion: nextRv };
  }
  if (isStale(cached, event.object)) return { change: { type: 'none' }, resourceVersion: nextRv };
  return {
    change: cached
      ? { type: 'update', key, oldObj: cached, obj: event.object }
      : { type: 'add', key, obj: event.object },
    resourceVersion: nextRv,
  };
}

/** The pure fold: a new state (the input is untouched) and what changed. */
export function applyWatchEvent<T extends KubeObjectLike>(
  state: CacheState<T>,
  event: WatchEvent<T>,
): { state: CacheState<T>; change: CacheChange<T> } {
  const { change, resourceVersion } = decideWatchEvent(state.objects, state.resourceVersion, event);
  if (change.type === 'none') {
    return {
      state: resourceVersion === state.resourceVersion ? state : { ...state, resourceVersion },
      change,
    };
  }
  const objects = new Map(state.objects);
  commitChange(objects, change);
  return { state: { objects, resourceVersion }, change };
}

function commitChange<T>(objects: Map<string, T>, change: CacheChange<T>): void {
  if (change.type === 'add' || change.type === 'update') objects.set(change.key, change.obj);
  else if (change.type === 'delete') objects.delete(change.key);
}

/** What a relist changed relative to the cache: adds, updates (RV differs) and deletes. Pure. */
export function diffRelist<T extends KubeObjectLike>(
  objects: ReadonlyMap<string, T>,
  items: readonly T[],
): CacheChange<T>[] {
  const changes: CacheChange<T>[] = [];
  const seen = new Set<string>();
  for (const obj of items) {
    const key = objectKey(obj);
    seen.add(key);
    const cached = objects.get(key);
    if (!cached) changes.push({ type: 'add', key, obj });
    else if (cached.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      changes.push({ type: 'update', key, oldObj: cached, obj });
    }
  }
  for (const [key, obj] of objects) if (!seen.has(key)) changes.push({ type: 'delete', key, obj });
  return changes;
}

// ------------------------------------------------------------------------------------------- informer

export interface InformerRuntimeOptions extends InformerOptions {
  /** First delay after a failed list or dropped watch; doubles up to maxBackoffMs. Default 200 ms. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Server-side watch timeout; the informer re-watches from its RV when it ends. Default 240-360 s. */
  watchTimeoutSeconds?: number;
  /** Page size for the list (0 = one page). Default 500. */
  pageSize?: number;
  /** Where failures are reported (default: nowhere). */
  onError?: (message: string, err: unknown) => void;
  /** Injectable for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface InformerWithState<T> extends Informer<T> {
  /** The resourceVersion the cache currently reflects. */
  resourceVersion(): string;
  /** Resolves once the first list is in the cache (or never, if stopped before). */
  whenSynced(): Promise<void>;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createInformer<T extends KubeObjectLike>(
  api: KubeApi,
  resource: ResourceInfo,
  options: InformerRuntimeOptions = {},
): InformerWithState<T> {
  const objects = new Map<string, T>();
  let resourceVersion = '';
  const handlerSets: InformerHandlers<T>[] = [];
  const stopController = new AbortController();
  let synced = false;
  let started: Promise<void> | undefined;
  let resolveSynced!: () => void;
  const syncedPromise = new Promise<void>((r) => (resolveSynced = r));
  const sleep = options.sleep ?? defaultSleep;
  const initialBackoff = options.initialBackoffMs ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const report = (message: string, err: unknown) => options.onError?.(message, err);

  function notify(change: CacheChange<T>, targets: readonly InformerHandlers<T>[] = handlerSets): void {
    for (const h of targets) {
      try {
        if (change.type === 'add') h.onAdd?.(change.obj);
        else if (change.type === 'update') h.onUpdate?.(change.oldObj, change.obj);
        else if (change.type === 'delete') h.onDelete?.(change.obj);
      } catch (err) {
        report(`${resource.plural} handler failed`, err);
      }
    }
  }

  async function listAll(): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string;
    do {
      const page = await api.list<T>(resource, {
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.pageSize ?? 500,
        continue: cont,
      });
      items.push(...page.items);
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont && !stopController.signal.aborted);
    return { items, resourceVersion: rv };
  }

  /** Watches until the stream ends. Returns 'relist' when the RV is gone or the server sent an ERROR. */
  async function watchOnce(): Promise<'rewatch' | 'relist'> {
    const watchAbort = new AbortController();
    const onStop = () => watchAbort.abort();
    stopController.signal.addEventListener('abort', onStop, { once: true });
    let outcome: 'rewatch' | 'relist' = 'rewatch';
    try {
      await api.watch<T>(
        resource,
        {
          namespace: options.namespace,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: options.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 120),
          signal: watchAbort.signal,
        },
        (event) => {
          if (watchAbort.signal.aborted) return;
          if (event.type === 'ERROR') {
            const code = (event.object as { code?: number } | undefined)?.code;
            if (code !== 410) report(`${resource.plural} watch sent an error`, event.object);
            outcome = 'relist';
            watchAbort.abort();
            return;
          }
          const result = decideWatchEvent(objects, resourceVersion, event);
          resourceVersion = result.resourceVersion;
          commitChange(objects, result.change);
          notify(result.change);
        },
      );
    } finally {
      stopController.signal.removeEventListener('abort', onStop);
    }
    return outcome;
  }

  async function run(): Promise<void> {
    let backoff = initialBackoff;
    const signal = stopController.signal;
    while (!signal.aborted) {
      try {
        const list = await listAll();
        if (signal.aborted) return;
        const changes = diffRelist(objects, list.items);
        resourceVersion = list.resourceVersion;
        for (const change of changes) {
          commitChange(objects, change);
          notify(change);
        }
        if (!synced) {
          synced = true;
          resolveSynced();
        }
        backoff = initialBackoff;
        let outcome: 'rewatch' | 'relist' = 'rewatch';
        while (!signal.aborted && outcome === 'rewatch') {
          const began = Date.now();
          outcome = await watchOnce();
          // A watch the server ends at once, again and again, must not become a busy loop.
          if (outcome === 'rewatch' && Date.now() - began < 1000) {
            await sleep(backoff, signal);
            backoff = Math.min(backoff * 2, maxBackoff);
          } else if (outcome === 'rewatch') backoff = initialBackoff;
        }
        if (signal.aborted) return;
        // The RV expired: relist right away (a 410 is routine after compaction, not a failure).
        continue;
      } catch (err) {
        if (signal.aborted) return;
        if (isKubeApiError(err, 410)) continue;
        report(`${resource.plural} list/watch failed; retrying in ${backoff} ms`, err);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  const lister: Lister<T> = {
    get(name, namespace) {
      return objects.get(keyOf(name, resource.namespaced ? namespace : undefined));
    },
    list(namespace) {
      const all = [...objects.values()];
      return namespace && resource.namespaced ? all.filter((o) => o.metadata?.namespace === namespace) : all;
    },
  };

  return {
    lister,
    addHandlers(handlers) {
      handlerSets.push(handlers);
      // A late subscriber sees what is already cached, as if it had been there from the start.
      if (synced) for (const [key, obj] of objects) notify({ type: 'add', key, obj }, [handlers]);
    },
    start() {
      started ??= run().catch((err) => report(`${resource.plural} informer stopped unexpectedly`, err));
      return syncedPromise;
    },
    hasSynced: () => synced,
    whenSynced: () => syncedPromise,
    resourceVersion: () => resourceVersion,
    stop() {
      stopController.abort();
    },
  };
}
