// Store history is kept for a while (so watches can resume and continue tokens stay valid), then
// compacted, as kube-apiserver does with etcd: each tick compacts up to the revision seen at the
// previous tick, so at least one interval of history always remains.
import type { Logger } from '../../platform/logger';
import type { Store } from '../store/types';
import type { Stoppable } from '../../shared/kube/types';

export function startCompactor(store: Store, log: Logger, intervalMs = 5 * 60_000): Stoppable {
  let previous = 0;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const current = await store.currentRevision();
        if (previous > 0 && previous > (await store.compactRevision())) {
          await store.compact(previous);
          log.debug(`compacted store history up to revision ${previous}`);
        }
        previous = current;
      } catch (err) {
        log.warn(`store compaction failed: ${(err as Error).message}`);
      } finally {
        running = false;
      }
    })();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
