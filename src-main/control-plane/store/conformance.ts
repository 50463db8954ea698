// The Store contract as a test suite, run against every backend (memory.spec.ts, sqlite.spec.ts), so
// the backends cannot drift apart. Each test opens a fresh store.
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, isStoreError } from './types';
import type { KeyValue, Store, Watch, WatchEvent } from './types';

export interface ConformanceTarget {
  /** Opens a fresh, empty store. */
  open(): Promise<Store>;
}

/** Waits for a condition, polling, and fails after a deadline instead of hanging. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing on this thread may run
  }
}

async function rejection(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected the operation to fail');
}

/** A watch that collects events, with a helper to wait until a revision has arrived. */
async function collect(store: Store, prefix: string, afterRevision: number) {
  const events: WatchEvent[] = [];
  const watch = await store.watch(prefix, { afterRevision }, (evs) => events.push(...evs));
  const lastRevision = () => events[events.length - 1]?.kv.modRevision ?? afterRevision;
  return {
    events,
    watch,
    until: (revision: number) => waitFor(() => lastRevision() >= revision, `watch to reach ${revision}`),
    revisions: () => events.map((e) => e.kv.modRevision),
  };
}

export function defineStoreConformance(name: string, target: ConformanceTarget): void {
  describe(`Store conformance: ${name}`, () => {
    const opened: Store[] = [];
    const watches: Watch[] = [];
    const open = async () => {
      const store = await target.open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const w of watches.splice(0)) w.stop();
      for (const s of opened.splice(0)) await s.close();
    });

    describe('create, update, delete', () => {
      it('creates a key at the next revision, and refuses to create it again', async () => {
        const store = await open();
        expect(await store.currentRevision()).toBe(0);
        const kv = await store.create('/registry/pods/default/a', 'v1');
        expect(kv).toEqual({
          key: '/registry/pods/default/a',
          value: 'v1',
          createRevision: 1,
          modRevision: 1,
        });
        expect(await store.get('/registry/pods/default/a')).toEqual({ kv, revision: 1 });
        const err = await rejection(store.create('/registry/pods/default/a', 'v2'));
        expect(err.code).toBe('KeyExists');
        expect(err.current).toEqual(kv);
        expect(await store.currentRevision()).toBe(1); // a failed write takes no revision
      });

      it('updates guarded by modRevision, and reports the current value on conflict', async () => {
        const store = await open();
        const a = await store.create('/k/a', 'v1');
        await store.create('/k/other', 'x');
        const b = await store.update('/k/a', 'v2', a.modRevision);
        expect(b).toEqual({ key: '/k/a', value: 'v2', createRevision: 1, modRevision: 3 });
        const err = await rejection(store.update('/k/a', 'v3', a.modRevision));
        expect(err.code).toBe('Conflict');
        expect(err.current).toEqual(b);
        expect((await store.get('/k/a')).kv?.value).toBe('v2');
        expect(isStoreError(err, 'Conflict')).toBe(true);
      });

      it('reports NotFound for a missing key', async () => {
        const store = await open();
        expect(await store.get('/k/missing')).toEqual({ kv: undefined, revision: 0 });
        expect((await rejection(store.update('/k/missing', 'v', 1))).code).toBe('NotFound');
        expect((await rejection(store.delete('/k/missing'))).code).toBe('NotFound');
        expect((await rejection(store.delete('/k/missing', 1))).code).toBe('NotFound');
      });

      it('deletes guarded and unguarded, returning the last value at the delete revision', async () => {
        const store = await open();
        const a = await store.create('/k/a', 'va');
        const b = await store.create('/k/b', 'vb');
        const err = await rejection(store.delete('/k/a', a.modRevision + 100));
        expect(err.code).toBe('Conflict');
        expect(err.current).toEqual(a);
        expect(await store.delete('/k/a', a.modRevision)).toEqual({ ...a, modRevision: 3 });
        expect(await store.delete('/k/b')).toEqual({ ...b, modRevision: 4 });
        expect((await store.get('/k/a')).kv).toBeUndefined();
        expect(await store.count('/k/')).toBe(0);
        expect((await rejection(store.delete('/k/a'))).code).toBe('NotFound');
      });

      it('recreates a deleted key with a new createRevision', async () => {
        const store = await open();
        const first = await store.create('/k/a', 'v1');
        await store.delete('/k/a');
        const second = await store.create('/k/a', 'v2');
        expect(second).toEqual({ key: '/k/a', value: 'v2', createRevision: 3, modRevision: 3 });
        expect(second.createRevision).not.toBe(first.createRevision);
        const third = await store.update('/k/a', 'v3', second.modRevision);
        expect(third.createRevision).toBe(3);
      });

      it('gives every successful write exactly the next revision', async () => {
        const store = await open();
        let expected = 0;
        const a = await store.create('/k/a', '1');
        expect(a.modRevision).toBe(++expected);
        await rejection(store.create('/k/a', '1'));
        const b = await store.update('/k/a', '2', a.modRevision);
        expect(b.modRevision).toBe(++expected);
        await rejection(store.update('/k/a', '3', a.modRevision));
        expect((await store.delete('/k/a')).modRevision).toBe(++expected);
        expect(await store.currentRevision()).toBe(expected);
      });

      it('stores values verbatim, including unicode and large values', async () => {
        const store = await open();
        const big = JSON.stringify({ data: 'x'.repeat(300_000), s: 'héllo ✓ 𝄞 \u0000 end' });
        await store.create('/k/ünï/𝄞', big);
        expect((await store.get('/k/ünï/𝄞')).kv?.value).toBe(big);
      });
    });

    describe('list and count', () => {
      it('lists by prefix in key order, paging with limit and startKey', async () => {
        const store = await open();
        const names = ['e', 'a', 'd', 'c', 'b', 'g', 'f'];
        for (const n of names) await store.create(`/registry/pods/ns/${n}`, n);
        await store.create('/registry/pods', 'not under the prefix');
        await store.create('/registry/services/ns/a', 'other prefix');
        const all = await store.list('/registry/pods/');
        expect(all.kvs.map((kv) => kv.value)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
        expect(all.more).toBe(false);
        expect(all.revision).toBe(9);

        const pages: string[][] = [];
        let startKey: string | undefined;
        let revision: number | undefined;
        for (;;) {
          const page = await store.list('/registry/pods/', { limit: 3, startKey, revision });
          pages.push(page.kvs.map((kv) => kv.value));
          revision = page.revision;
          // Writes between pages must not show: the pages are a snapshot at the first page's revision.
          await store.create(`/registry/pods/ns/a${pages.length}`, 'late');
          if (!page.more) break;
          startKey = (page.kvs[page.kvs.length - 1] as KeyValue).key + '\u0000';
        }
        expect(pages).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
        expect((await store.list('/registry/pods/', { limit: 7 })).more).toBe(true);
        expect((await store.list('/registry/pods/', { limit: 100 })).kvs).toHaveLength(10);
      });

      it('serves a list at an old revision as the data was then', async () => {
        const store = await open();
        const a = await store.create('/k/a', 'a1');
        const b = await store.create('/k/b', 'b1');
        const then = await store.currentRevision();
        await store.update('/k/a', 'a2', a.modRevision);
        await store.delete('/k/b', b.modRevision);
        await store.create('/k/c', 'c1');
        const old = await store.list('/k/', { revision: then });
        expect(old).toEqual({ kvs: [a, b], revision: then, more: false });
        const now = await store.list('/k/');
        expect(now.kvs.map((kv) => `${kv.key}=${kv.value}`)).toEqual(['/k/a=a2', '/k/c=c1']);
        expect((await store.list('/k/', { revision: 1 })).kvs).toEqual([a]);
        const future = await rejection(store.list('/k/', { revision: now.revision + 5 }));
        expect(future.code).toBe('TooLarge');
      });

      it('counts live keys under a prefix', async () => {
        const store = await open();
        for (let i = 0; i < 5; i++) await store.create(`/registry/pods/ns/p${i}`, 'x');
        await store.create('/registry/podsx/ns/p', 'x');
        await store.delete('/registry/pods/ns/p0');
        expect(await store.count('/registry/pods/')).toBe(4);
        expect(await store.count('/registry/')).toBe(5);
        expect(await store.count('')).toBe(5);
        expect(await store.count('/nothing/')).toBe(0);
      });

      it('keeps prefixes apart (/registry/pods/ vs /registry/podsx/)', async () => {
        const store = await open();
        await store.create('/registry/pods/a', 'pod');
        await store.create('/registry/podsx/a', 'podx');
        await store.create('/registry/pods0', 'pods0');
        const w = await collect(store, '/registry/pods/', 0);
        watches.push(w.watch);
        await store.create('/registry/podsx/b', 'podx');
        const last = await store.create('/registry/pods/b', 'pod');
        await w.until(last.modRevision);
        expect(w.events.map((e) => e.kv.key)).toEqual(['/registry/pods/a', '/registry/pods/b']);
        expect((await store.list('/registry/pods/')).kvs.map((kv) => kv.key)).toEqual([
          '/registry/pods/a',
          '/registry/pods/b',
        ]);
        expect((await store.list('/registry/podsx/')).kvs.map((kv) => kv.key)).toEqual([
          '/registry/podsx/a',
          '/registry/podsx/b',
        ]);
      });
    });

    describe('watch', () => {
      it('delivers puts and deletes in revision order with previous values', async () => {
        const store = await open();
        const w = await collect(store, '/k/', await store.currentRevision());
        watches.push(w.watch);
        const a1 = await store.create('/k/a', 'a1');
        const a2 = await store.update('/k/a', 'a2', a1.modRevision);
        const b1 = await store.create('/k/b', 'b1');
        const del = await store.delete('/k/a');
        await w.until(del.modRevision);
        expect(w.events).toEqual([
          { type: 'put', kv: a1 },
          { type: 'put', kv: a2, prev: a1 },
          { type: 'put', kv: b1 },
          { type: 'delete', kv: { ...a2, modRevision: 4 }, prev: a2 },
        ]);
      });

      it('replays from a past revision, then continues live', async () => {
        const store = await open();
        const a1 = await store.create('/k/a', 'a1');
        await store.create('/x/other', 'x');
        const a2 = await store.update('/k/a', 'a2', a1.modRevision);
        const gone = await store.delete('/k/a');
        const w = await collect(store, '/k/', a1.modRevision);
        watches.push(w.watch);
        const a3 = await store.create('/k/a', 'a3');
        await w.until(a3.modRevision);
        expect(w.events).toEqual([
          { type: 'put', kv: a2, prev: a1 },
          { type: 'delete', kv: gone, prev: a2 },
          { type: 'put', kv: a3 },
        ]);
        const fromZero = await collect(store, '/k/', 0);
        watches.push(fromZero.watch);
        await fromZero.until(a3.modRevision);
        expect(fromZero.revisions()).toEqual([1, 3, 4, 5]);
      });

      it('misses nothing and repeats nothing when started while writes are in flight', async () => {
        const store = await open();
        const total = 300;
        const pending: Promise<KeyValue>[] = [];
        const started: ReturnType<typeof collect>[] = [];
        for (let i = 0; i < total; i++) {
          pending.push(store.create(`/k/w${i}`, `v${i}`));
          if (i % 50 === 25) {
            // Start watches at assorted points, from assorted revisions, while writes queue and commit.
            const after = await store.currentRevision();
            // Hold the event loop so a backend committing off-thread finishes a commit whose result
            // this thread has not yet seen: the watch then starts inside that window.
            if (i % 100 === 25) blockEventLoop(5);
            started.push(collect(store, '/k/', Math.max(0, after - 3)));
          }
          if (i % 7 === 0) await new Promise((r) => setImmediate(r));
        }
        const results = await Promise.all(pending);
        const final = Math.max(...results.map((kv) => kv.modRevision));
        expect(final).toBe(total);
        for (const p of started) {
          const w = await p;
          watches.push(w.watch);
          await w.until(final);
          const revs = w.revisions();
          const first = revs[0] as number;
          expect(revs).toEqual(Array.from({ length: final - first + 1 }, (_, i) => first + i));
        }
      });

      it('sends nothing more after stop()', async () => {
        const store = await open();
        const w = await collect(store, '/k/', 0);
        await store.create('/k/a', '1');
        await w.until(1);
        w.watch.stop();
        w.watch.stop(); // idempotent
        await store.create('/k/b', '2');
        const probe = await collect(store, '/k/', 1);
        watches.push(probe.watch);
        await probe.until(2);
        expect(w.events).toHaveLength(1);
      });

      it('delivers the same events to many watchers of overlapping prefixes', async () => {
        const store = await open();
        const all = await collect(store, '/', 0);
        const pods = await collect(store, '/registry/pods/', 0);
        watches.push(all.watch, pods.watch);
        await store.create('/registry/pods/a', '1');
        await store.create('/registry/nodes/a', '2');
        const last = await store.create('/registry/pods/b', '3');
        await all.until(last.modRevision);
        await pods.until(last.modRevision);
        expect(all.revisions()).toEqual([1, 2, 3]);
        expect(pods.revisions()).toEqual([1, 3]);
      });
    });

    describe('compaction', () => {
      it('drops history at or below a revision, keeps live keys, and rejects reads from before it', async () => {
        const store = await open();
        const a1 = await store.create('/k/a', 'a1'); // 1
        const a2 = await store.update('/k/a', 'a2', a1.modRevision); // 2
        const b1 = await store.create('/k/b', 'b1'); // 3
        await store.delete('/k/b'); // 4
        const c1 = await store.create('/k/c', 'c1'); // 5
        const a3 = await store.update('/k/a', 'a3', a2.modRevision); // 6
        expect(await store.compactRevision()).toBe(0);
        await store.compact(5);
        expect(await store.compactRevision()).toBe(5);

        const listErr = await rejection(store.list('/k/', { revision: 4 }));
        expect(listErr.code).toBe('Compacted');
        expect(listErr.compactRevision).toBe(5);
        const watchErr = await rejection(store.watch('/k/', { afterRevision: 4 }, () => undefined));
        expect(watchErr.code).toBe('Compacted');
        expect(watchErr.compactRevision).toBe(5);

        // The state at the compaction point is intact, and so is everything after it.
        expect((await store.list('/k/', { revision: 5 })).kvs).toEqual([a2, c1]);
        expect((await store.list('/k/')).kvs).toEqual([a3, c1]);
        expect((await store.get('/k/b')).kv).toBeUndefined();
        const w = await collect(store, '/k/', 5);
        watches.push(w.watch);
        await w.until(6);
        expect(w.events).toEqual([{ type: 'put', kv: a3, prev: a2 }]);

        // Writes continue from the same counter; compacting again at or below the point is a no-op.
        const b2 = await store.create('/k/b', 'b2');
        expect(b2).toEqual({ key: '/k/b', value: 'b2', createRevision: 7, modRevision: 7 });
        expect(b1.createRevision).toBe(3);
        await store.compact(3);
        expect(await store.compactRevision()).toBe(5);
        expect((await rejection(store.compact(100))).code).toBe('TooLarge');
      });

      it('can compact at the current revision, even when the newest write is a delete', async () => {
        const store = await open();
        const a = await store.create('/k/a', 'a');
        await store.create('/k/b', 'b');
        await store.delete('/k/b');
        await store.compact(3);
        expect((await store.list('/k/')).kvs).toEqual([a]);
        expect(await store.currentRevision()).toBe(3);
        expect((await store.create('/k/c', 'c')).modRevision).toBe(4);
        const w = await collect(store, '/k/', 3);
        watches.push(w.watch);
        await w.until(4);
        expect(w.revisions()).toEqual([4]);
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of many concurrent guarded updates win per revision', async () => {
        const store = await open();
        let current = await store.create('/k/contended', 'v0');
        const others = await store.create('/k/bystander', 'b0');
        for (let round = 1; round <= 5; round++) {
          const attempts = Array.from({ length: 200 }, (_, i) =>
            store.update('/k/contended', `r${round}-${i}`, current.modRevision),
          );
          // An unrelated write in the same batch must succeed regardless of the conflicts around it.
          const bystander = store.update(
            '/k/bystander',
            `b${round}`,
            (await store.get('/k/bystander')).kv!.modRevision,
          );
          const results = await Promise.allSettled(attempts);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r) => r.status === 'rejected');
          expect(won).toHaveLength(1);
          for (const r of lost) expect(isStoreError(r.reason, 'Conflict')).toBe(true);
          const winner = (won[0] as PromiseFulfilledResult<KeyValue>).value;
          expect(winner.modRevision).toBeGreaterThan(current.modRevision);
          for (const r of lost) expect((r.reason as StoreError).current).toEqual(winner);
          expect((await bystander).value).toBe(`b${round}`);
          current = winner;
          expect((await store.get('/k/contended')).kv).toEqual(winner);
        }
        expect(others.modRevision).toBe(2);
        expect(await store.currentRevision()).toBe(12); // 2 creates + 5 rounds x (1 winner + 1 bystander)
      });

      it('creates many distinct keys concurrently with distinct, gap-free revisions', async () => {
        const store = await open();
        const kvs = await Promise.all(Array.from({ length: 500 }, (_, i) => store.create(`/k/${i}`, `${i}`)));
        const revisions = kvs.map((kv) => kv.modRevision).sort((a, b) => a - b);
        expect(revisions).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
        expect(await store.count('/k/')).toBe(500);
      });
    });

    describe('close', () => {
      it('rejects every call with Closed after close, after finishing accepted writes', async () => {
        const store = await open();
        await store.create('/k/a', '1');
        await store.watch('/k/', { afterRevision: 1 }, () => undefined);
        const inFlight = store.create('/k/b', '2'); // accepted before close: it completes
        await store.close();
        expect((await inFlight).modRevision).toBe(2);
        const calls: [string, () => Promise<unknown>][] = [
          ['get', () => store.get('/k/a')],
          ['list', () => store.list('/k/')],
          ['count', () => store.count('/k/')],
          ['create', () => store.create('/k/c', '3')],
          ['update', () => store.update('/k/a', '3', 1)],
          ['delete', () => store.delete('/k/a')],
          ['watch', () => store.watch('/k/', { afterRevision: 0 }, () => undefined)],
          ['currentRevision', () => store.currentRevision()],
          ['compact', () => store.compact(1)],
          ['compactRevision', () => store.compactRevision()],
        ];
        for (const [what, call] of calls) {
          const err = await rejection(call());
          expect(err.code, what).toBe('Closed');
        }
        await store.close(); // idempotent
      });
    });
  });
}
