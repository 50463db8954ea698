import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../shared/resources';
import type { ResourceInfo } from '../../../shared/resources';
import { openMemoryStore } from '../../store/memory';
import type { Store } from '../../store/types';
import type { KubeObject } from '../kinds/types';
import { objectKey } from './keys';
import type { CacheWatcher, EventType } from './watch-cache';
import { WatchCache } from './watch-cache';

const pods = RESOURCES.find((r) => r.plural === 'pods') as ResourceInfo;
const pod = (name: string, labels: Record<string, string> = {}) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels } });

function recorder(matches: (o: KubeObject) => boolean = () => true, keyPrefix = '/registry/core/pods/') {
  const seen: [EventType, string, string][] = [];
  const watcher: CacheWatcher = {
    keyPrefix,
    matches,
    deliver: (type, o) => seen.push([type, o.obj.metadata!.name!, o.obj.metadata!.resourceVersion!]),
  };
  return { watcher, seen };
}

describe('WatchCache', () => {
  let store: Store;
  let cache: WatchCache;
  beforeEach(async () => {
    store = openMemoryStore();
    await store.create(objectKey(pods, 'a', 'default'), pod('a'));
    cache = await WatchCache.start(store, RESOURCES, { eventCapacity: 4 });
  });
  afterEach(async () => {
    cache.stop();
    await store.close();
  });

  it('loads existing objects with their resourceVersion and follows writes', async () => {
    const loaded = cache.cacheFor(pods).get(objectKey(pods, 'a', 'default'));
    expect(loaded?.obj.metadata?.resourceVersion).toBe('1');
    const kv = await store.create(objectKey(pods, 'b', 'default'), pod('b'));
    await cache.sync();
    expect(cache.currentRevision()).toBe(kv.modRevision);
    expect(
      cache
        .cacheFor(pods)
        .list('/registry/core/pods/default/')
        .map((o) => o.obj.metadata?.name),
    ).toEqual(['a', 'b']);
  });

  it('turns label changes into ADDED/DELETED for a filtered watcher', async () => {
    const { watcher, seen } = recorder((o) => o.metadata?.labels?.app === 'web');
    cache.cacheFor(pods).watchLive(watcher);
    const key = objectKey(pods, 'a', 'default');
    const v2 = await store.update(key, pod('a', { app: 'web' }), 1);
    const v3 = await store.update(key, pod('a', { app: 'web', x: 'y' }), v2.modRevision);
    const v4 = await store.update(key, pod('a', { app: 'db' }), v3.modRevision);
    await store.delete(key);
    await cache.sync();
    expect(seen).toEqual([
      ['ADDED', 'a', String(v2.modRevision)],
      ['MODIFIED', 'a', String(v3.modRevision)],
      ['DELETED', 'a', String(v4.modRevision)],
    ]);
  });

  it('replays from its ring when it reaches back far enough, and says so when it does not', async () => {
    const key = objectKey(pods, 'a', 'default');
    let rev = 1;
    for (let i = 0; i < 6; i++) rev = (await store.update(key, pod('a', { n: String(i) }), rev)).modRevision;
    await cache.sync();
    const recent = recorder();
    expect(cache.cacheFor(pods).watchFrom(recent.watcher, rev - 2)).toBe(true);
    expect(recent.seen.map((s) => s[2])).toEqual([String(rev - 1), String(rev)]);
    const old = recorder();
    expect(cache.cacheFor(pods).watchFrom(old.watcher, 1)).toBe(false);
    expect(old.seen).toEqual([]);
  });

  it('keeps namespaces apart by key prefix', async () => {
    const { watcher, seen } = recorder(() => true, '/registry/core/pods/other/');
    cache.cacheFor(pods).watchLive(watcher);
    await store.create(objectKey(pods, 'x', 'default'), pod('x'));
    await store.create(
      objectKey(pods, 'y', 'other'),
      JSON.stringify({ kind: 'Pod', metadata: { name: 'y', namespace: 'other' } }),
    );
    await cache.sync();
    expect(seen.map((s) => s[1])).toEqual(['y']);
  });
});
