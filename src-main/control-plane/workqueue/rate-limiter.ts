// Per-key exponential backoff (client-go's ItemExponentialFailureRateLimiter): a key that keeps failing
// is retried after 5 ms, 10 ms, 20 ms … up to a cap, and `forget` resets it after a success.

export interface RateLimiter<K> {
  /** The delay before the next retry of `key`; counts a failure. */
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

export function exponentialRateLimiter<K>(baseMs = 5, maxMs = 1000_000): RateLimiter<K> {
  const failures = new Map<K, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      // 2^n overflows to Infinity long before it matters; the cap keeps it sane.
      return Math.min(baseMs * 2 ** n, maxMs);
    },
    forget(key) {
      failures.delete(key);
    },
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}
