// Controller expectations (pkg/controller/controller_utils.go): after a controller asks for N creates
// or deletes, it must not act on the same owner again until its informer has seen them, or it would
// create the same pods twice from a cache that does not show them yet. Expectations expire after a
// TTL so a lost watch event cannot wedge an owner forever.
import type { Clock } from '../../workqueue/clock';

interface Expectation {
  add: number;
  /** Keys of objects we asked to delete and have not yet seen go. */
  deleting: Set<string>;
  setAt: number;
}

export interface Expectations {
  expectCreations(ownerKey: string, count: number): void;
  expectDeletions(ownerKey: string, objectKeys: string[]): void;
  creationObserved(ownerKey: string): void;
  deletionObserved(ownerKey: string, objectKey: string): void;
  /** A create or delete that failed will never be observed: stop waiting for it. */
  lowerCreations(ownerKey: string, count: number): void;
  /** True when nothing is outstanding (or the expectation expired): the owner may be synced. */
  satisfied(ownerKey: string): boolean;
  delete(ownerKey: string): void;
}

export const EXPECTATIONS_TTL_MS = 5 * 60_000;

export function createExpectations(clock: Clock, ttlMs = EXPECTATIONS_TTL_MS): Expectations {
  const byOwner = new Map<string, Expectation>();
  const entry = (ownerKey: string) => {
    let e = byOwner.get(ownerKey);
    if (!e) byOwner.set(ownerKey, (e = { add: 0, deleting: new Set(), setAt: clock.now() }));
    return e;
  };
  return {
    expectCreations(ownerKey, count) {
      const e = entry(ownerKey);
      e.add += count;
      e.setAt = clock.now();
    },
    expectDeletions(ownerKey, objectKeys) {
      const e = entry(ownerKey);
      for (const k of objectKeys) e.deleting.add(k);
      e.setAt = clock.now();
    },
    creationObserved(ownerKey) {
      const e = byOwner.get(ownerKey);
      if (e && e.add > 0) e.add--;
    },
    deletionObserved(ownerKey, objectKey) {
      byOwner.get(ownerKey)?.deleting.delete(objectKey);
    },
    lowerCreations(ownerKey, count) {
      const e = byOwner.get(ownerKey);
      if (e) e.add = Math.max(0, e.add - count);
    },
    satisfied(ownerKey) {
      const e = byOwner.get(ownerKey);
      if (!e) return true;
      if (e.add <= 0 && e.deleting.size === 0) return true;
      return clock.now() - e.setAt > ttlMs;
    },
    delete(ownerKey) {
      byOwner.delete(ownerKey);
    },
  };
}
