import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { CoalescingSync } from './coalescing-sync';

/** Lets every pending promise callback run (passes here are resolved by the test, never by time). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A pass the test controls: it counts starts, can be held open, and can be made to fail. */
function controlledPass() {
  const state = {
    started: 0,
    finished: 0,
    running: 0,
    maxRunning: 0,
    failWith: undefined as Error | undefined,
  };
  let release: (() => void) | undefined;
  let hold = false;
  const pass = async () => {
    state.started++;
    state.running++;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    try {
      if (hold) await new Promise<void>((r) => (release = r));
      if (state.failWith) throw state.failWith;
      state.finished++;
    } finally {
      state.running--;
    }
  };
  return {
    state,
    pass,
    hold: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

function setup(extra: { retryDelayMs?: number; maxRetryDelayMs?: number; resyncIntervalMs?: number } = {}) {
  const clock = new ManualClock();
  const p = controlledPass();
  const errors: unknown[] = [];
  let resyncs = 0;
  const sync = new CoalescingSync({
    clock,
    pass: p.pass,
    onError: (message, err) => errors.push({ message, err }),
    onResync: () => resyncs++,
    delayMs: 50,
    resyncIntervalMs: 10_000,
    ...extra,
  });
  return { clock, p, sync, errors, resyncs: () => resyncs };
}

describe('CoalescingSync', () => {
  it('ignores requests until started, then turns a burst of requests into one pass after the delay', async () => {
    const { clock, p, sync } = setup();
    sync.request();
    expect(clock.pendingTimers()).toBe(0);

    await sync.start();
    expect(p.state.started).toBe(1);

    sync.request();
    sync.request();
    sync.request();
    clock.advance(49);
    await flush();
    expect(p.state.started).toBe(1);
    clock.advance(1);
    await flush();
    expect(p.state.started).toBe(2);
    sync.stop();
  });

  it('never overlaps passes: a request during a pass makes exactly one more pass after it', async () => {
    const { p, sync } = setup();
    await sync.start();
    p.hold();
    const first = sync.now();
    await flush();
    const second = sync.now();
    const third = sync.now();
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(p.state.started).toBe(2);
    p.release();
    await first;
    expect(p.state.started).toBe(3);
    expect(p.state.maxRunning).toBe(1);
    sync.stop();
  });

  it('retries a failed pass with a doubling delay up to the maximum, and resets after a success', async () => {
    const { clock, p, sync, errors } = setup({
      retryDelayMs: 1_000,
      maxRetryDelayMs: 3_000,
      resyncIntervalMs: 3_600_000, // out of the way
    });
    p.state.failWith = new Error('iptables is locked');
    await sync.start();
    expect(errors).toEqual([{ message: 'iptables is locked', err: p.state.failWith }]);
    // No immediate retry loop: one attempt, then a timer.
    expect(p.state.started).toBe(1);

    const startsAfter = async (ms: number) => {
      clock.advance(ms);
      await flush();
      return p.state.started;
    };
    expect(await startsAfter(999)).toBe(1);
    expect(await startsAfter(1)).toBe(2); // 1 s
    expect(await startsAfter(1_999)).toBe(2);
    expect(await startsAfter(1)).toBe(3); // 2 s
    expect(await startsAfter(2_999)).toBe(3);
    expect(await startsAfter(1)).toBe(4); // 3 s: capped (not 4 s)
    expect(await startsAfter(3_000)).toBe(5); // still capped

    p.state.failWith = undefined;
    expect(await startsAfter(3_000)).toBe(6);
    expect(p.state.finished).toBe(1);
    // Success cleared the backoff: the next failure is retried after the first delay again.
    p.state.failWith = new Error('again');
    await sync.now();
    expect(await startsAfter(1_000)).toBe(8);
    sync.stop();
  });

  it('passes periodically, calling onResync first, until stopped', async () => {
    const { clock, p, sync, resyncs } = setup();
    await sync.start();
    clock.advance(10_000);
    await flush();
    expect(resyncs()).toBe(1);
    expect(p.state.started).toBe(2);
    clock.advance(10_000);
    await flush();
    expect(resyncs()).toBe(2);
    expect(p.state.started).toBe(3);

    sync.request();
    sync.stop();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    await flush();
    expect(p.state.started).toBe(3);
  });

  it('still runs one pass on demand when stopped, and settled() waits for a pass in progress', async () => {
    const { p, sync } = setup();
    await sync.now();
    expect(p.state.finished).toBe(1);

    p.hold();
    void sync.now();
    await flush();
    let settled = false;
    void sync.settled().then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    p.release();
    await flush();
    expect(settled).toBe(true);
    expect(p.state.finished).toBe(2);
    await expect(sync.settled()).resolves.toBeUndefined();
  });
});
