// The work queue controllers pull keys from (client-go's rate-limited delaying queue):
// - de-duplicating: a key waiting in the queue is there once, however often it is added;
// - a key being processed is never handed to a second worker; if it is added meanwhile it is queued
//   again when the worker calls done(), so the latest change is always reconciled;
// - addAfter delays a key (the earliest requested time wins), addRateLimited delays it by the key's
//   backoff, forget resets that backoff;
// - get() waits for a key; after shutDown() it resolves undefined and workers exit.
import { realClock } from './clock';
import type { Clock, TimerHandle } from './clock';
import { exponentialRateLimiter } from './rate-limiter';
import type { RateLimiter } from './rate-limiter';

export interface WorkQueueOptions<K> {
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
}

export interface WorkQueue<K = string> {
  add(key: K): void;
  addAfter(key: K, delayMs: number): void;
  addRateLimited(key: K): void;
  forget(key: K): void;
  numRequeues(key: K): number;
  /** The next key, waiting if none is ready; undefined once the queue is shut down. */
  get(): Promise<K | undefined>;
  /** Marks the key processed (must follow every get()). */
  done(key: K): void;
  shutDown(): void;
  readonly shuttingDown: boolean;
  /** Keys ready to be handed out. */
  len(): number;
  /** Keys waiting for a delay to pass. */
  delayedLen(): number;
}

export function createWorkQueue<K = string>(options: WorkQueueOptions<K> = {}): WorkQueue<K> {
  const clock = options.clock ?? realClock;
  const limiter = options.rateLimiter ?? exponentialRateLimiter<K>();
  const queue: K[] = [];
  let head = 0;
  const dirty = new Set<K>();
  const processing = new Set<K>();
  const waiters: ((key: K | undefined) => void)[] = [];
  const delayed = new Map<K, { at: number; timer: TimerHandle }>();
  let shuttingDown = false;

  function push(key: K): void {
    const waiter = waiters.shift();
    if (waiter) {
      dirty.delete(key);
      processing.add(key);
      waiter(key);
    } else queue.push(key);
  }

  function take(): K | undefined {
    if (head >= queue.length) return undefined;
    const key = queue[head++] as K;
    // Compact the array now and then instead of shifting on every get.
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    return key;
  }

  const q: WorkQueue<K> = {
    add(key) {
      if (shuttingDown || dirty.has(key)) return;
      dirty.add(key);
      if (processing.has(key)) return;
      push(key);
    },
    addAfter(key, delayMs) {
      if (shuttingDown) return;
      if (delayMs <= 0) return q.add(key);
      const at = clock.now() + delayMs;
      const existing = delayed.get(key);
      if (existing && existing.at <= at) return;
      if (existing) clock.clearTimeout(existing.timer);
      const timer = clock.setTimeout(() => {
        delayed.delete(key);
        q.add(key);
      }, delayMs);
      delayed.set(key, { at, timer });
    },
    addRateLimited(key) {
      q.addAfter(key, limiter.when(key));
    },
    forget(key) {
      limiter.forget(key);
    },
    numRequeues: (key) => limiter.numRequeues(key),
    get() {
      if (shuttingDown && head >= queue.length) return Promise.resolve(undefined);
      const key = take();
      if (key !== undefined) {
        dirty.delete(key);
        processing.add(key);
        return Promise.resolve(key);
      }
      if (shuttingDown) return Promise.resolve(undefined);
      return new Promise<K | undefined>((resolve) => waiters.push(resolve));
    },
    done(key) {
      processing.delete(key);
      if (dirty.has(key) && !shuttingDown) push(key);
    },
    shutDown() {
      shuttingDown = true;
      for (const { timer } of delayed.values()) clock.clearTimeout(timer);
      delayed.clear();
      for (const waiter of waiters.splice(0)) waiter(undefined);
    },
    get shuttingDown() {
      return shuttingDown;
    },
    len: () => queue.length - head,
    delayedLen: () => delayed.size,
  };
  return q;
}
