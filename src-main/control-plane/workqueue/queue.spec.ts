import { describe, expect, it } from 'vitest';
import { createFakeClock } from './clock';
import { createWorkQueue } from './queue';
import { exponentialRateLimiter } from './rate-limiter';

describe('work queue', () => {
  it('hands out keys in order and de-duplicates waiting keys', async () => {
    const q = createWorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('never gives a key to two workers; a key added while processing comes back after done()', async () => {
    const q = createWorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(key as string);
    await Promise.resolve();
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting get() when a key arrives', async () => {
    const q = createWorkQueue();
    const pending = q.get();
    q.add('x');
    expect(await pending).toBe('x');
  });

  it('addAfter delays a key; the earliest time wins', async () => {
    const clock = createFakeClock();
    const q = createWorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    expect(q.delayedLen()).toBe(1);
    clock.advance(49);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rate-limits per key with exponential backoff, reset by forget', async () => {
    const clock = createFakeClock();
    const q = createWorkQueue({ clock, rateLimiter: exponentialRateLimiter(5, 40) });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = clock.now();
      q.addRateLimited('a');
      let waited = 0;
      while (q.len() === 0 && waited < 1000) {
        clock.advance(1);
        waited++;
      }
      delays.push(waited);
      q.done((await q.get()) as string);
      expect(clock.now() - before).toBe(waited);
    }
    expect(delays).toEqual([5, 10, 20, 40, 40]);
    expect(q.numRequeues('a')).toBe(5);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    // Another key has its own backoff.
    q.addRateLimited('b');
    clock.advance(5);
    expect(q.len()).toBe(1);
  });

  it('shutDown releases waiting workers and drops delayed keys', async () => {
    const clock = createFakeClock();
    const q = createWorkQueue({ clock });
    const waiting = q.get();
    q.addAfter('later', 10);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    expect(await q.get()).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
    q.add('x');
    expect(q.len()).toBe(0);
  });
});
