import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources';
import type { ResourceInfo } from '../resources';
import { applyWatchEvent, createInformer, diffRelist } from './informer';
import type { CacheState } from './informer';
import { createFakeKubeApi, waitFor } from './testing';
import type { KubeObjectLike } from './types';

const PODS = RESOURCES.find((r) => r.plural === 'pods') as ResourceInfo;

const pod = (name: string, rv: string, extra: Record<string, unknown> = {}): KubeObjectLike => ({
  metadata: { name, namespace: 'default', resourceVersion: rv, ...extra },
});

const empty: CacheState<KubeObjectLike> = { objects: new Map(), resourceVersion: '10' };

describe('applyWatchEvent (the pure fold)', () => {
  it('adds, updates and deletes, advancing the resourceVersion', () => {
    let s = applyWatchEvent(empty, { type: 'ADDED', object: pod('a', '11') }).state;
    expect(s.objects.get('default/a')?.metadata?.resourceVersion).toBe('11');
    expect(s.resourceVersion).toBe('11');
    const r = applyWatchEvent(s, { type: 'MODIFIED', object: pod('a', '12', { labels: { x: '1' } }) });
    expect(r.change.type).toBe('update');
    s = r.state;
    expect(s.objects.get('default/a')?.metadata?.labels).toEqual({ x: '1' });
    s = applyWatchEvent(s, { type: 'DELETED', object: pod('a', '13') }).state;
    expect(s.objects.size).toBe(0);
    expect(s.resourceVersion).toBe('13');
  });

  it('does not mutate its input', () => {
    const r = applyWatchEvent(empty, { type: 'ADDED', object: pod('a', '11') });
    expect(empty.objects.size).toBe(0);
    expect(r.state).not.toBe(empty);
  });

  it('ignores stale and replayed events', () => {
    const s = applyWatchEvent(empty, {
      type: 'ADDED',
      object: pod('a', '20', { labels: { v: 'new' } }),
    }).state;
    const replay = applyWatchEvent(s, {
      type: 'MODIFIED',
      object: pod('a', '20', { labels: { v: 'same' } }),
    });
    expect(replay.change.type).toBe('none');
    const older = applyWatchEvent(s, { type: 'MODIFIED', object: pod('a', '15', { labels: { v: 'old' } }) });
    expect(older.change.type).toBe('none');
    expect(older.state.objects.get('default/a')?.metadata?.labels).toEqual({ v: 'new' });
    // A delete older than the cached copy cannot remove the newer object.
    expect(applyWatchEvent(s, { type: 'DELETED', object: pod('a', '19') }).change.type).toBe('none');
    // The cache RV never moves backwards.
    expect(older.state.resourceVersion).toBe('20');
  });

  it('treats a DELETED of an unknown object as a no-op', () => {
    expect(applyWatchEvent(empty, { type: 'DELETED', object: pod('x', '12') }).change.type).toBe('none');
  });

  it('only advances the resourceVersion on a bookmark', () => {
    const r = applyWatchEvent(empty, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '99' } } });
    expect(r.change.type).toBe('none');
    expect(r.state.resourceVersion).toBe('99');
    expect(r.state.objects).toBe(empty.objects);
  });

  it('diffRelist finds adds, updates and deletes', () => {
    const objects = new Map([
      ['default/a', pod('a', '1')],
      ['default/b', pod('b', '2')],
    ]);
    const changes = diffRelist(objects, [pod('a', '1'), pod('b', '5'), pod('c', '6')]);
    expect(changes.map((c) => c.type).sort()).toEqual(['add', 'update']);
    const gone = diffRelist(objects, [pod('a', '1')]);
    expect(gone).toEqual([{ type: 'delete', key: 'default/b', obj: pod('b', '2') }]);
  });
});

describe('createInformer', () => {
  it('lists, then watches; handlers run after the cache is updated', async () => {
    const api = createFakeKubeApi();
    await api.create(PODS, pod('a', ''));
    const informer = createInformer<KubeObjectLike>(api, PODS, { initialBackoffMs: 1 });
    const seen: string[] = [];
    informer.addHandlers({
      onAdd: (o) =>
        seen.push(
          `add ${o.metadata?.name} cached=${Boolean(informer.lister.get(o.metadata?.name ?? '', 'default'))}`,
        ),
      onUpdate: (_old, o) =>
        seen.push(
          `update ${o.metadata?.name} labels=${JSON.stringify(informer.lister.get('a', 'default')?.metadata?.labels)}`,
        ),
      onDelete: (o) =>
        seen.push(
          `delete ${o.metadata?.name} cached=${Boolean(informer.lister.get(o.metadata?.name ?? '', 'default'))}`,
        ),
    });
    await informer.start();
    expect(informer.hasSynced()).toBe(true);
    const list = api.calls.find((c) => c.verb === 'list');
    expect(list).toBeDefined();
    await api.create(PODS, pod('b', ''));
    await api.patch(PODS, 'a', 'default', { metadata: { labels: { x: 'y' } } });
    await api.delete(PODS, 'b', 'default');
    await waitFor(() => seen.length === 4, 'four events');
    expect(seen).toEqual([
      'add a cached=true',
      'add b cached=true',
      'update a labels={"x":"y"}',
      'delete b cached=false',
    ]);
    expect(informer.lister.list('default').map((o) => o.metadata?.name)).toEqual(['a']);
    informer.stop();
    await waitFor(() => api.watchCount() === 0, 'watch closed');
  });

  it('relists after 410 Gone and reports what changed meanwhile', async () => {
    const api = createFakeKubeApi();
    await api.create(PODS, pod('a', ''));
    const informer = createInformer<KubeObjectLike>(api, PODS, { initialBackoffMs: 1 });
    const deleted: string[] = [];
    informer.addHandlers({ onDelete: (o) => deleted.push(o.metadata?.name ?? '') });
    await informer.start();
    await waitFor(() => api.watchCount() === 1, 'watching');
    // The connection drops; while it is gone, an object disappears and history is compacted.
    api.dropWatches();
    await api.delete(PODS, 'a', 'default');
    api.compact();
    await api.create(PODS, pod('c', ''));
    await waitFor(() => informer.lister.get('c', 'default'), 'relisted with c');
    expect(informer.lister.get('a', 'default')).toBeUndefined();
    expect(deleted).toEqual(['a']);
    expect(api.calls.filter((c) => c.verb === 'list').length).toBeGreaterThanOrEqual(2);
    informer.stop();
  });

  it('relists on an ERROR 410 event from the watch', async () => {
    const api = createFakeKubeApi();
    const informer = createInformer<KubeObjectLike>(api, PODS, { initialBackoffMs: 1 });
    // Compact between the list and the watch: the watch's RV is then too old.
    let compacted = false;
    api.reactors.push((call) => {
      if (call.verb === 'watch' && !compacted) {
        compacted = true;
        // The fake's create runs synchronously up to its first await, so this lands before the watch.
        void api.create(PODS, pod('late', ''));
        api.compact();
      }
    });
    await informer.start();
    await waitFor(() => informer.lister.get('late', 'default'), 'object created after the compaction');
    expect(api.calls.filter((c) => c.verb === 'list').length).toBeGreaterThanOrEqual(2);
    informer.stop();
  });

  it('replays the cache to handlers added after sync', async () => {
    const api = createFakeKubeApi();
    await api.create(PODS, pod('a', ''));
    const informer = createInformer<KubeObjectLike>(api, PODS);
    await informer.start();
    const added: string[] = [];
    informer.addHandlers({ onAdd: (o) => added.push(o.metadata?.name ?? '') });
    expect(added).toEqual(['a']);
    informer.stop();
  });

  it('retries a failing list with backoff until it succeeds', async () => {
    const api = createFakeKubeApi();
    let failures = 3;
    api.reactors.push((call) => {
      if (call.verb === 'list' && failures-- > 0) throw new Error('connection refused');
    });
    const errors: string[] = [];
    const informer = createInformer<KubeObjectLike>(api, PODS, {
      initialBackoffMs: 1,
      onError: (m) => errors.push(m),
    });
    await informer.start();
    expect(errors).toHaveLength(3);
    expect(errors[1]).toContain('2 ms');
    informer.stop();
  });
});
