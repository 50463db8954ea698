// Watch semantics over raw HTTPS, as Kubernetes documents them (API concepts: "Efficient detection of
// changes", "Watch bookmarks", "Streaming lists"): resuming from a resourceVersion, bookmarks,
// initial events with their end marker, 410 Gone once history is compacted, selector watches, and
// no event lost or duplicated under a burst of writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './support/https-api';
import type { ApiClient, WatchEvent } from './support/https-api';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';

const BOOKMARK_MS = 200;
const NS = 'watch';
const CM = `/api/v1/namespaces/${NS}/configmaps`;

let cp: TestControlPlane;
let api: ApiClient;

const rvOf = (e: WatchEvent) => Number(e.object.metadata?.resourceVersion);
const describeEvent = (e: WatchEvent) => `${e.type} ${e.object.metadata?.name ?? ''}`;
const nonBookmarks = (events: WatchEvent[]) => events.filter((e) => e.type !== 'BOOKMARK');

async function create(name: string, labels: Record<string, string> = {}, path = CM): Promise<number> {
  const res = await api.request('POST', path, {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { v: '0' } },
  });
  expect(res.status, res.text).toBe(201);
  return Number((res.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

async function mergePatch(name: string, patch: unknown, path = CM): Promise<number> {
  const res = await api.request('PATCH', `${path}/${name}`, {
    body: patch,
    contentType: 'application/merge-patch+json',
  });
  expect(res.status, res.text).toBe(200);
  return Number((res.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

async function remove(name: string, path = CM): Promise<number> {
  const res = await api.request('DELETE', `${path}/${name}`);
  expect(res.status, res.text).toBe(200);
  return Number((res.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

async function listRv(path = CM): Promise<number> {
  return Number(
    ((await api.get(path)).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
  );
}

async function createNamespace(name: string): Promise<void> {
  const res = await api.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  expect(res.status, res.text).toBe(201);
}

describe('watch', () => {
  beforeAll(async () => {
    cp = await startTestControlPlane({ tuning: { bookmarkIntervalMs: BOOKMARK_MS } });
    api = await apiClient(cp.kubeconfigPath);
    await createNamespace(NS);
  });
  afterAll(async () => {
    api?.close();
    await cp?.dispose();
  });

  it('resuming from a resourceVersion gets exactly the events after it, in order', async () => {
    const rv1 = await create('resume-a');
    const rv2 = await mergePatch('resume-a', { data: { v: '1' } });
    const rv3 = await create('resume-b');
    const rv4 = await remove('resume-a');

    const fromRv1 = await api.watch(`${CM}?watch=1&resourceVersion=${rv1}`);
    const fromRv2 = await api.watch(`${CM}?watch=1&resourceVersion=${rv2}`);
    const fromRv4 = await api.watch(`${CM}?watch=1&resourceVersion=${rv4}`);
    try {
      expect(fromRv1.status).toBe(200);
      expect(fromRv1.headers['content-type']).toMatch(/^application\/json/);
      // A write after all of them marks the end: whatever came before it is all there is.
      const marker = await create('resume-marker');
      const untilMarker = (events: WatchEvent[]) =>
        events.some((e) => e.object.metadata?.name === 'resume-marker');
      await Promise.all([fromRv1, fromRv2, fromRv4].map((w) => w.waitFor(untilMarker, 10_000, 'the marker')));

      expect(fromRv1.events.map((e) => [describeEvent(e), rvOf(e)])).toEqual([
        ['MODIFIED resume-a', rv2],
        ['ADDED resume-b', rv3],
        ['DELETED resume-a', rv4],
        ['ADDED resume-marker', marker],
      ]);
      expect(fromRv1.events[0]!.object).toMatchObject({
        kind: 'ConfigMap',
        apiVersion: 'v1',
        data: { v: '1' },
      });
      expect(fromRv2.events.map((e) => [describeEvent(e), rvOf(e)])).toEqual([
        ['ADDED resume-b', rv3],
        ['DELETED resume-a', rv4],
        ['ADDED resume-marker', marker],
      ]);
      expect(fromRv4.events.map((e) => [describeEvent(e), rvOf(e)])).toEqual([
        ['ADDED resume-marker', marker],
      ]);
    } finally {
      for (const w of [fromRv1, fromRv2, fromRv4]) w.close();
    }
  });

  it('a watch without a resourceVersion starts with the current objects as ADDED, then live events', async () => {
    const ns = 'watch-initial';
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await createNamespace(ns);
    await create('one', {}, path);
    await create('two', {}, path);
    const w = await api.watch(`${path}?watch=1`);
    try {
      await w.waitFor((ev) => ev.length >= 2, 10_000, 'the initial objects');
      const rv = await mergePatch('one', { data: { v: 'live' } }, path);
      await w.waitFor((ev) => ev.length >= 3, 10_000, 'the live event');
      expect(w.events.map(describeEvent)).toEqual(['ADDED one', 'ADDED two', 'MODIFIED one']);
      expect(rvOf(w.events[2]!)).toBe(rv);
    } finally {
      w.close();
    }
  });

  it('bookmarks arrive every bookmark interval when allowWatchBookmarks=true, and only then', async () => {
    const start = await listRv();
    const withBookmarks = await api.watch(`${CM}?watch=1&resourceVersion=${start}&allowWatchBookmarks=true`);
    const without = await api.watch(`${CM}?watch=1&resourceVersion=${start}`);
    try {
      await withBookmarks.waitFor(
        (ev) => ev.filter((e) => e.type === 'BOOKMARK').length >= 1,
        BOOKMARK_MS * 10,
        'a first bookmark',
      );
      const first = withBookmarks.events.find((e) => e.type === 'BOOKMARK')!;
      // A bookmark carries only the kind and a resourceVersion (Kubernetes: "only resourceVersion").
      expect(first.object).toEqual({
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(start) },
      });

      const written = await create('bookmark-after-write');
      await withBookmarks.waitFor(
        (ev) => ev.some((e) => e.type === 'BOOKMARK' && rvOf(e) >= written),
        BOOKMARK_MS * 10,
        'a bookmark at or after the write',
      );
      const bookmarks = withBookmarks.events.filter((e) => e.type === 'BOOKMARK').map(rvOf);
      expect([...bookmarks].sort((a, b) => a - b)).toEqual(bookmarks); // never going back
      expect(nonBookmarks(withBookmarks.events).map(describeEvent)).toEqual(['ADDED bookmark-after-write']);

      await without.waitFor((ev) => ev.length >= 1, 10_000, 'the write');
      expect(without.events.map((e) => e.type)).toEqual(['ADDED']);
      expect(bookmarks.length).toBeGreaterThanOrEqual(2);
    } finally {
      withBookmarks.close();
      without.close();
    }
  });

  it('sendInitialEvents=true sends the current objects, then the initial-events-end bookmark, then live events', async () => {
    const ns = 'watch-stream-list';
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await createNamespace(ns);
    const created = [
      await create('s1', {}, path),
      await create('s2', {}, path),
      await create('s3', {}, path),
    ];
    const w = await api.watch(
      `${path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    try {
      await w.waitFor(
        (ev) => ev.some((e) => e.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true'),
        10_000,
        'the initial-events-end bookmark',
      );
      const endIndex = w.events.findIndex(
        (e) => e.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true',
      );
      const initial = w.events.slice(0, endIndex).filter((e) => e.type !== 'BOOKMARK');
      expect(initial.map(describeEvent)).toEqual(['ADDED s1', 'ADDED s2', 'ADDED s3']);
      expect(initial.map(rvOf)).toEqual(created);
      const end = w.events[endIndex]!;
      expect(end.type).toBe('BOOKMARK');
      expect(end.object.kind).toBe('ConfigMap');
      expect(rvOf(end)).toBeGreaterThanOrEqual(Math.max(...created));

      const live = await mergePatch('s2', { data: { v: 'after' } }, path);
      await w.waitFor(
        (ev) => ev.slice(endIndex + 1).some((e) => e.type === 'MODIFIED'),
        10_000,
        'the live event',
      );
      const after = w.events.slice(endIndex + 1).filter((e) => e.type !== 'BOOKMARK');
      expect(after.map((e) => [describeEvent(e), rvOf(e)])).toEqual([['MODIFIED s2', live]]);
    } finally {
      w.close();
    }
  });

  it('a label-selector watch turns label changes into ADDED and DELETED', async () => {
    const start = await listRv();
    const w = await api.watch(
      `${CM}?watch=1&resourceVersion=${start}&labelSelector=${encodeURIComponent('team=blue')}`,
    );
    try {
      await create('sel-x'); // not selected: no event
      const added = await mergePatch('sel-x', { metadata: { labels: { team: 'blue' } } });
      const modified = await mergePatch('sel-x', { data: { v: 'blue' } });
      const left = await mergePatch('sel-x', { metadata: { labels: { team: 'red' } } });
      await mergePatch('sel-x', { data: { v: 'red' } }); // not selected any more: no event
      const back = await mergePatch('sel-x', { metadata: { labels: { team: 'blue' } } });
      const deleted = await remove('sel-x');
      await w.waitFor((ev) => ev.length >= 5, 10_000, 'five selector events');
      expect(w.events.map((e) => [describeEvent(e), rvOf(e)])).toEqual([
        ['ADDED sel-x', added],
        ['MODIFIED sel-x', modified],
        ['DELETED sel-x', left],
        ['ADDED sel-x', back],
        ['DELETED sel-x', deleted],
      ]);
      // The DELETED for leaving the selector carries the object as it is now (label red).
      expect(w.events[2]!.object.metadata?.labels).toEqual({ team: 'red' });
    } finally {
      w.close();
    }
  });

  it('a field-selector watch on one name sees only that object', async () => {
    const start = await listRv();
    const w = await api.watch(
      `${CM}?watch=1&resourceVersion=${start}&fieldSelector=${encodeURIComponent('metadata.name=only-me')}`,
    );
    try {
      await create('not-me');
      const mine = await create('only-me');
      await mergePatch('not-me', { data: { v: '1' } });
      const mine2 = await mergePatch('only-me', { data: { v: '1' } });
      await w.waitFor((ev) => ev.length >= 2, 10_000, 'two events for only-me');
      expect(w.events.map((e) => [describeEvent(e), rvOf(e)])).toEqual([
        ['ADDED only-me', mine],
        ['MODIFIED only-me', mine2],
      ]);
    } finally {
      w.close();
    }
  });

  it('concurrent unconditional patches of one object all succeed, each seen once', async () => {
    const start = await listRv();
    await create('contended');
    const w = await api.watch(
      `${CM}?watch=1&resourceVersion=${start}&fieldSelector=metadata.name%3Dcontended`,
    );
    try {
      // A merge patch carries no resourceVersion precondition, so Kubernetes retries it against the
      // fresh object however often it conflicts (GuaranteedUpdate); no client sees a 409.
      const results = await Promise.all(
        Array.from({ length: 48 }, (_, i) =>
          api.request('PATCH', `${CM}/contended`, {
            body: { data: { [`k${i}`]: String(i) } },
            contentType: 'application/merge-patch+json',
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
      await w.waitFor((ev) => ev.length >= 49, 10_000, '49 events');
      const final = (await api.get(`${CM}/contended`)).json as { data: Record<string, string> };
      expect(Object.keys(final.data)).toHaveLength(49); // v plus the 48 keys
      expect(w.events.map((e) => e.type)).toEqual(['ADDED', ...results.map(() => 'MODIFIED')]);
    } finally {
      w.close();
    }
  });

  it('timeoutSeconds ends the watch from the server side', async () => {
    const w = await api.watch(`${CM}?watch=1&resourceVersion=${await listRv()}&timeoutSeconds=1`);
    const t0 = Date.now();
    await Promise.race([
      w.ended,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the watch did not end within 5 s')), 5_000),
      ),
    ]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    w.close();
  });

  it('a watch survives 1,000 quick writes with none lost or duplicated', async () => {
    const ns = 'watch-burst';
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await createNamespace(ns);
    const start = await listRv(path);
    const all = await api.watch(`${path}?watch=1&resourceVersion=${start}`);
    const even = await api.watch(`${path}?watch=1&resourceVersion=${start}&labelSelector=parity%3Deven`);
    try {
      const N = 1000;
      const CONCURRENCY = 32;
      const written: { rv: number; name: string; type: string }[] = [];
      let next = 0;
      // 250 objects, each created then patched three times: creates and updates interleave.
      const ops = Array.from({ length: N }, (_, i) => ({ obj: i % 250, step: Math.floor(i / 250) }));
      const worker = async () => {
        while (next < ops.length) {
          const op = ops[next++]!;
          const name = `burst-${op.obj}`;
          if (op.step === 0) {
            const rv = await create(name, { parity: op.obj % 2 === 0 ? 'even' : 'odd' }, path);
            written.push({ rv, name, type: 'ADDED' });
          } else {
            // Updates of one object are ordered: wait until its create (or previous update) landed.
            const rv = await mergePatch(name, { data: { v: String(op.step) } }, path);
            written.push({ rv, name, type: 'MODIFIED' });
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      expect(written).toHaveLength(N);

      await all.waitFor((ev) => ev.length >= N, 20_000, `${N} events`);
      const evenWritten = written.filter((w) => Number(w.name.split('-')[1]) % 2 === 0);
      await even.waitFor(
        (ev) => ev.length >= evenWritten.length,
        20_000,
        `${evenWritten.length} even events`,
      );
      // One more write flushes anything extra that would have followed.
      const marker = await create('burst-marker', { parity: 'even' }, path);
      await all.waitFor((ev) => ev.some((e) => rvOf(e) === marker), 10_000, 'the marker');
      await even.waitFor((ev) => ev.some((e) => rvOf(e) === marker), 10_000, 'the marker');

      const expected = [...written].sort((a, b) => a.rv - b.rv).map((w) => `${w.type} ${w.name} ${w.rv}`);
      const got = all.events.slice(0, -1).map((e) => `${describeEvent(e)} ${rvOf(e)}`);
      expect(got).toHaveLength(N);
      expect(new Set(got).size).toBe(N);
      expect(got).toEqual(expected);
      expect(even.events.slice(0, -1).map((e) => `${describeEvent(e)} ${rvOf(e)}`)).toEqual(
        [...evenWritten].sort((a, b) => a.rv - b.rv).map((w) => `${w.type} ${w.name} ${w.rv}`),
      );
      // Every object ended with its last write.
      const last = new Map<string, string | undefined>();
      for (const e of all.events)
        last.set(e.object.metadata!.name!, (e.object as { data?: { v?: string } }).data?.v);
      expect([...last.entries()].filter(([n, v]) => n !== 'burst-marker' && v !== '3')).toEqual([]);
    } finally {
      all.close();
      even.close();
    }
  });
});

describe('watch after compaction', () => {
  // The real compactor, run every 200 ms instead of every 5 minutes, and a watch cache that keeps the
  // last 100 events of each resource: a resourceVersion must be older than both to be gone.
  let compacting: TestControlPlane;
  let capi: ApiClient;

  beforeAll(async () => {
    compacting = await startTestControlPlane({
      tuning: { compactIntervalMs: 200, watchCacheEventCapacity: 100 },
    });
    capi = await apiClient(compacting.kubeconfigPath);
  });
  afterAll(async () => {
    capi?.close();
    await compacting?.dispose();
  });

  it('a watch from a compacted resourceVersion gets a 410 Gone ERROR event; from a current one it works', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    const res = await capi.request('POST', path, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old' }, data: { v: '0' } },
    });
    expect(res.status).toBe(201);
    const oldRv = Number((res.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion);

    // More events than the watch cache holds, so the old revision can only come from the store.
    // Creates of distinct objects: no write contends with another.
    const WRITES = 200;
    let n = 0;
    const worker = async () => {
      while (n < WRITES) {
        const i = n++;
        const r = await capi.request('POST', path, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `filler-${i}` } },
        });
        expect(r.status).toBe(201);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));

    // The compactor catches up within a couple of ticks; until then the old revision is still served.
    const deadline = Date.now() + 10_000;
    let error: WatchEvent | undefined;
    while (!error) {
      const w = await capi.watch(`${path}?watch=1&resourceVersion=${oldRv}`);
      try {
        expect(w.status).toBe(200);
        await w.waitFor((ev) => ev.length > 0, 10_000, 'a first event');
        if (w.events[0]!.type === 'ERROR') error = w.events[0];
      } finally {
        w.close();
      }
      if (!error && Date.now() > deadline) throw new Error('the old revision was never compacted');
      if (!error) await new Promise((r) => setTimeout(r, 100));
    }
    expect(error.object).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 410,
      reason: 'Expired',
    });
    expect(String(error.object.message)).toMatch(/^too old resource version: \d+ \(\d+\)$/);

    // The stream ends after the ERROR event (a client then relists).
    const w = await capi.watch(`${path}?watch=1&resourceVersion=${oldRv}`);
    await w.ended;
    expect(w.events.map((e) => e.type)).toEqual(['ERROR']);

    // A list gives a current resourceVersion to watch from again.
    const list = (await capi.get(path)).json as { metadata: { resourceVersion: string } };
    const fresh = await capi.watch(`${path}?watch=1&resourceVersion=${list.metadata.resourceVersion}`);
    try {
      const r = await capi.request('PATCH', `${path}/old`, {
        body: { data: { v: 'fresh' } },
        contentType: 'application/merge-patch+json',
      });
      await fresh.waitFor((ev) => ev.length >= 1, 10_000, 'the fresh event');
      expect(fresh.events[0]!.type).toBe('MODIFIED');
      expect(rvOf(fresh.events[0]!)).toBe(
        Number((r.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion),
      );
    } finally {
      fresh.close();
    }
  });
});
