// The watch cache (the kube-apiserver "cacher"): every object of every kind held in memory, parsed and
// serialized once, kept current by ONE store watch on /registry/. Reads and watches are served from
// here, so 500 watchers of a pod cost one JSON.stringify per change, not 500. Because every store write
// passes through that single watch, the cache knows exactly which revision it reflects, and a read can
// wait until it has caught up with the store (read-your-writes) instead of going to disk.
import type { ResourceInfo } from '../../../shared/resources';
import type { Store, Watch, WatchEvent, KeyValue } from '../../store/types';
import type { KubeObject } from '../kinds/types';
import { REGISTRY_PREFIX, resourcePrefix } from './keys';

export interface CachedObject {
  key: string;
  rev: number;
  /** Parsed object with metadata.resourceVersion set. Shared: callers must not mutate it. */
  obj: KubeObject;
  /** `obj` serialized. */
  json: string;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: EventType;
  rev: number;
  object: CachedObject;
  prev?: CachedObject;
}

export interface CacheWatcher {
  /** Only keys under this prefix (namespace or single object) are considered. */
  keyPrefix: string;
  /** Exact key match (a watch on one object by name). */
  exactKey?: string;
  matches(obj: KubeObject): boolean;
  deliver(type: EventType, object: CachedObject): void;
}

export function toCachedObject(kv: KeyValue): CachedObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata = obj.metadata ?? {};
  obj.metadata.resourceVersion = String(kv.modRevision);
  return { key: kv.key, rev: kv.modRevision, obj, json: JSON.stringify(obj) };
}

/** `withPrev` false: the caller (the cache) fills `prev` from objects it already has parsed. */
export function toCacheEvent(ev: WatchEvent, withPrev = true): CacheEvent {
  const object = toCachedObject(ev.kv);
  if (ev.type === 'delete') return { type: 'DELETED', rev: ev.kv.modRevision, object };
  return {
    type: ev.prev ? 'MODIFIED' : 'ADDED',
    rev: ev.kv.modRevision,
    object,
    ...(ev.prev && withPrev ? { prev: toCachedObject(ev.prev) } : {}),
  };
}

/**
 * Decides what a filtered watcher sees for one change (Kubernetes cacher semantics): an object that
 * starts matching is ADDED, one that stops matching is DELETED, one that matches before and after is
 * MODIFIED.
 */
export function deliverFiltered(w: CacheWatcher, ev: CacheEvent): void {
  const key = ev.object.key;
  if (w.exactKey !== undefined ? key !== w.exactKey : !key.startsWith(w.keyPrefix)) return;
  const nowMatches = ev.type !== 'DELETED' && w.matches(ev.object.obj);
  if (ev.type === 'DELETED') {
    if (w.matches(ev.object.obj)) w.deliver('DELETED', ev.object);
    return;
  }
  const before = ev.prev ? w.matches(ev.prev.obj) : false;
  if (nowMatches && before) w.deliver('MODIFIED', ev.object);
  else if (nowMatches) w.deliver('ADDED', ev.object);
  else if (before) w.deliver('DELETED', ev.object);
}

export class ResourceCache {
  readonly prefix: string;
  private readonly objects = new Map<string, CachedObject>();
  private sorted: string[] | null = null;
  private readonly watchers = new Set<CacheWatcher>();
  // Ring buffer of recent events, so a watch from a recent resourceVersion replays from memory.
  private readonly ring: (CacheEvent | undefined)[];
  private head = 0;
  private size = 0;
  /** Every event of this resource with rev > bufferStartRev is in the ring. */
  private bufferStartRev: number;

  constructor(
    readonly resource: ResourceInfo,
    startRev: number,
    capacity: number,
  ) {
    this.prefix = resourcePrefix(resource);
    this.ring = new Array<CacheEvent | undefined>(capacity);
    this.bufferStartRev = startRev;
  }

  load(obj: CachedObject): void {
    this.objects.set(obj.key, obj);
    this.sorted = null;
  }

  apply(ev: CacheEvent): void {
    if (ev.type === 'DELETED') {
      this.objects.delete(ev.object.key);
      this.sorted = null;
    } else {
      if (!this.objects.has(ev.object.key)) this.sorted = null;
      // Take `prev` from the cache: it is already parsed.
      const prev = this.objects.get(ev.object.key);
      if (prev) ev.prev = prev;
      this.objects.set(ev.object.key, ev.object);
    }
    this.record(ev);
    for (const w of this.watchers) deliverFiltered(w, ev);
  }

  private record(ev: CacheEvent): void {
    const capacity = this.ring.length;
    if (this.size === capacity) {
      const evicted = this.ring[this.head]!;
      this.bufferStartRev = evicted.rev;
      this.ring[this.head] = ev;
      this.head = (this.head + 1) % capacity;
    } else {
      this.ring[(this.head + this.size) % capacity] = ev;
      this.size++;
    }
  }

  get(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  /** Objects under a key prefix, sorted by key, starting at `startKey` (inclusive) if given. */
  list(keyPrefix: string, startKey?: string): CachedObject[] {
    if (this.sorted === null) this.sorted = [...this.objects.keys()].sort();
    const keys = this.sorted;
    let i = lowerBound(keys, startKey !== undefined && startKey > keyPrefix ? startKey : keyPrefix);
    const out: CachedObject[] = [];
    for (; i < keys.length; i++) {
      const k = keys[i]!;
      if (!k.startsWith(keyPrefix)) break;
      out.push(this.objects.get(k)!);
    }
    return out;
  }

  count(): number {
    return this.objects.size;
  }

  /**
   * Registers a watcher, first replaying the events after `afterRev` from the ring. Returns false
   * (and registers nothing) when the ring no longer reaches back that far.
   */
  watchFrom(w: CacheWatcher, afterRev: number): boolean {
    if (afterRev < this.bufferStartRev) return false;
    const capacity = this.ring.length;
    for (let i = 0; i < this.size; i++) {
      const ev = this.ring[(this.head + i) % capacity]!;
      if (ev.rev > afterRev) deliverFiltered(w, ev);
    }
    this.watchers.add(w);
    return true;
  }

  /** Registers a watcher for live events only (after initial state was sent by the caller). */
  watchLive(w: CacheWatcher): void {
    this.watchers.add(w);
  }

  unwatch(w: CacheWatcher): void {
    this.watchers.delete(w);
  }

  watcherCount(): number {
    return this.watchers.size;
  }
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface WatchCacheOptions {
  /** Events kept per resource for watches that resume from a resourceVersion. */
  eventCapacity?: number;
  onError?(err: unknown): void;
}

export class WatchCache {
  private readonly caches = new Map<string, ResourceCache>();
  private revision = 0;
  private waiters: { rev: number; resolve: () => void }[] = [];
  private watch: Watch | undefined;
  private readonly listeners = new Set<(rev: number) => void>();

  private constructor(
    private readonly store: Store,
    private readonly resources: readonly ResourceInfo[],
    private readonly options: WatchCacheOptions,
  ) {}

  static async start(store: Store, resources: readonly ResourceInfo[], options: WatchCacheOptions = {}) {
    const cache = new WatchCache(store, resources, options);
    await cache.init();
    return cache;
  }

  private async init(): Promise<void> {
    const snapshot = await this.store.list(REGISTRY_PREFIX);
    this.revision = snapshot.revision;
    const capacity = this.options.eventCapacity ?? 10_000;
    for (const r of this.resources) {
      const prefix = resourcePrefix(r);
      if (!this.caches.has(prefix))
        this.caches.set(prefix, new ResourceCache(r, snapshot.revision, capacity));
    }
    for (const kv of snapshot.kvs) {
      const cache = this.cacheForKey(kv.key);
      if (cache) cache.load(toCachedObject(kv));
    }
    this.watch = await this.store.watch(REGISTRY_PREFIX, { afterRevision: snapshot.revision }, (events) =>
      this.dispatch(events),
    );
  }

  private dispatch(events: WatchEvent[]): void {
    for (const ev of events) {
      try {
        const cache = this.cacheForKey(ev.kv.key);
        if (cache) cache.apply(toCacheEvent(ev, false));
      } catch (err) {
        this.options.onError?.(err);
      }
      this.revision = ev.kv.modRevision;
    }
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.rev <= this.revision);
      this.waiters = this.waiters.filter((w) => w.rev > this.revision);
      for (const w of ready) w.resolve();
    }
    for (const l of this.listeners) l(this.revision);
  }

  private cacheForKey(key: string): ResourceCache | undefined {
    // /registry/<group>/<plural>/...
    const third = key.indexOf('/', key.indexOf('/', REGISTRY_PREFIX.length) + 1);
    return third < 0 ? undefined : this.caches.get(key.slice(0, third + 1));
  }

  cacheFor(r: Pick<ResourceInfo, 'group' | 'plural'>): ResourceCache {
    const cache = this.caches.get(resourcePrefix(r));
    if (!cache) throw new Error(`no cache for ${r.plural}.${r.group}`);
    return cache;
  }

  /** The revision every cache reflects. */
  currentRevision(): number {
    return this.revision;
  }

  /** Resolves once the cache has applied every write up to `rev`. */
  waitFor(rev: number): Promise<void> {
    if (rev <= this.revision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ rev, resolve }));
  }

  /** Waits until the cache reflects everything the store has acknowledged so far. */
  async sync(): Promise<number> {
    const rev = await this.store.currentRevision();
    await this.waitFor(rev);
    return this.revision;
  }

  /** Called after each dispatched batch with the new revision (for bookmarks / progress). */
  onProgress(listener: (rev: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.watch?.stop();
    this.watch = undefined;
  }
}
