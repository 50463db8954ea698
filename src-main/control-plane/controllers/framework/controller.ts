// The unit every controller is built from: a queue of keys, N workers, and a reconcile function that
// compares desired and actual state for one key. A failed reconcile is retried with the key's
// exponential backoff; a successful one resets it. `start()` waits for the informers' caches, then
// returns a handle whose `stop()` shuts the queue down and waits for the workers to finish.
import type { Logger } from '../../../platform/logger';
import type { Stoppable } from '../../../shared/kube/types';
import { createWorkQueue } from '../../workqueue/queue';
import type { WorkQueue } from '../../workqueue/queue';
import type { Clock } from '../../workqueue/clock';

export interface ReconcileResult {
  /** Reconcile this key again after the delay (e.g. minReadySeconds, a progress deadline). */
  requeueAfterMs?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

export interface ControllerHandle extends Stoppable {
  /** Stops and resolves when in-flight reconciles have finished. */
  stopAndWait(): Promise<void>;
}

export interface Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  /** Waits for the caches, starts the workers, returns the handle that stops them. */
  start(): Promise<ControllerHandle>;
}

export interface QueueControllerOptions {
  name: string;
  workers?: number;
  reconcile: ReconcileFn;
  /** Resolves when the informers this controller reads have synced. */
  waitForCaches: () => Promise<void>;
  log: Logger;
  clock?: Clock;
  queue?: WorkQueue<string>;
  /** Give up retrying a key after this many failures (default: never). */
  maxRetries?: number;
}

export function createQueueController(options: QueueControllerOptions): Controller {
  const queue = options.queue ?? createWorkQueue<string>(options.clock ? { clock: options.clock } : {});
  const log = options.log;

  async function worker(): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await options.reconcile(key);
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        if (options.maxRetries !== undefined && queue.numRequeues(key) >= options.maxRetries) {
          log.warn('giving up on key', { controller: options.name, key, error: err });
          queue.forget(key);
        } else {
          log.debug('reconcile failed; retrying with backoff', {
            controller: options.name,
            key,
            error: err,
            retries: queue.numRequeues(key),
          });
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  }

  return {
    name: options.name,
    queue,
    async start() {
      await options.waitForCaches();
      const workers = Array.from({ length: options.workers ?? 2 }, () => worker());
      log.info('controller started', { controller: options.name, workers: workers.length });
      const stopAndWait = async () => {
        queue.shutDown();
        await Promise.all(workers);
      };
      return {
        stop: () => void stopAndWait(),
        stopAndWait,
      };
    },
  };
}
