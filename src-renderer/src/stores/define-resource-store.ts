// The shape every per-kind store shares: a live, read-only array of one kind's objects, fed by the
// shared informer for that kind. Views call `use()` while mounted (see useLiveResources); the store
// keeps one lease on the registry however many views use it.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { KubeObjectLike } from '../../../src-main/shared/kube/types';
import type { ResourceInfo } from '../../../src-main/shared/resources';
import { apiContext } from '../api/context';
import type { InformerLease } from '../api/informer-registry';

/** Watch events come in bursts; re-reading the cache once per frame keeps big lists smooth. */
export const FLUSH_DELAY_MS = 16;

export function defineResourceStore<T extends KubeObjectLike>(id: string, resource: ResourceInfo) {
  return defineStore(id, () => {
    const items = shallowRef<readonly T[]>([]);
    const synced = ref(false);
    const error = ref<string | undefined>();
    /** Bumped on every flush: lets tests and views wait for "the list changed". */
    const generation = ref(0);
    let users = 0;
    let lease: InformerLease | undefined;
    let flushTimer: ReturnType<typeof setTimeout> | undefined;

    const flush = () => {
      flushTimer = undefined;
      if (!lease) return;
      items.value = lease.informer.lister.list() as T[];
      generation.value++;
    };
    const scheduleFlush = () => {
      flushTimer ??= setTimeout(flush, FLUSH_DELAY_MS);
    };

    /** Starts (or joins) the live list; returns the function that leaves it. */
    function use(): () => void {
      users++;
      if (!lease) {
        error.value = undefined;
        const held = apiContext().informers.acquire(resource, scheduleFlush);
        lease = held;
        held.ready.then(
          () => {
            if (lease !== held) return;
            synced.value = true;
            flush();
          },
          (err: unknown) => {
            if (lease === held) error.value = (err as Error)?.message ?? String(err);
          },
        );
        if (held.informer.hasSynced()) {
          synced.value = true;
          flush();
        }
      }
      let left = false;
      return () => {
        if (left) return;
        left = true;
        users--;
        if (users > 0 || !lease) return;
        lease.release();
        lease = undefined;
        if (flushTimer !== undefined) clearTimeout(flushTimer);
        flushTimer = undefined;
      };
    }

    return { items, synced, error, generation, use, resource: () => resource };
  });
}
