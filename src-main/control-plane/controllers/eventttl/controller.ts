// Event TTL: Kubernetes keeps core/v1 Events for an hour (kube-apiserver's --event-ttl, an etcd lease
// per event). Flotilla's store has no leases, so this controller sweeps instead: every `intervalMs` it
// pages through all Events and deletes those last seen more than `ttlMs` ago. Deletes carry the
// Event's resourceVersion as a precondition, so an Event bumped (count+1) meanwhile survives. It lists
// page by page rather than keeping an informer, so all the events of a busy cluster are never held in
// memory at once.
import type { CoreEvent } from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { EVENTS } from '../framework/resources';
import { parseTime } from '../nodelifecycle/types';

export const EVENT_TTL_CONTROLLER = 'event-ttl-controller';

export interface EventTtlOptions {
  /** Events last seen longer ago than this are deleted (default 1 h, as kube-apiserver's --event-ttl). */
  ttlMs?: number;
  /** Time between sweeps (default 1 min). */
  intervalMs?: number;
  /** List page size (default 500). */
  pageSize?: number;
  /** Deletes in flight at once (default 8). */
  concurrency?: number;
}

const SWEEP = 'sweep';

/** When an Event was last seen: the newest of its timestamps. */
export function lastSeen(e: CoreEvent): number | undefined {
  const series = (e as { series?: { lastObservedTime?: string } }).series?.lastObservedTime;
  const times = [e.lastTimestamp, e.eventTime, series, e.firstTimestamp, e.metadata.creationTimestamp].map(
    (t) => parseTime(t ?? undefined),
  );
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

export function createEventTtlController(ctx: ControllerContext, options: EventTtlOptions = {}): Controller {
  const ttlMs = options.ttlMs ?? 60 * 60_000;
  const intervalMs = options.intervalMs ?? 60_000;
  const pageSize = options.pageSize ?? 500;
  const concurrency = options.concurrency ?? 8;
  const log = ctx.log.child(EVENT_TTL_CONTROLLER);

  const controller = createQueueController({
    name: EVENT_TTL_CONTROLLER,
    workers: 1,
    log,
    clock: ctx.clock,
    // No informer: the first sweep runs as soon as the controller starts.
    waitForCaches: async () => controller.queue.add(SWEEP),
    reconcile: async () => {
      await sweep();
      return { requeueAfterMs: intervalMs };
    },
  });

  async function sweep(): Promise<void> {
    const cutoff = ctx.clock.now() - ttlMs;
    let cont: string | undefined;
    let deleted = 0;
    do {
      const page = await ctx.api.list<CoreEvent>(EVENTS, { limit: pageSize, continue: cont });
      const expired = page.items.filter((e) => {
        const seen = lastSeen(e);
        return seen !== undefined && seen < cutoff;
      });
      for (let i = 0; i < expired.length; i += concurrency) {
        const results = await Promise.all(
          expired.slice(i, i + concurrency).map(async (e) => {
            try {
              await ctx.api.delete(EVENTS, e.metadata.name ?? '', e.metadata.namespace, {
                preconditions: { uid: e.metadata.uid, resourceVersion: e.metadata.resourceVersion },
              });
              return 1;
            } catch (err) {
              if (isKubeApiError(err, 404) || isKubeApiError(err, 409)) return 0;
              throw err;
            }
          }),
        );
        deleted += results.reduce<number>((a, b) => a + b, 0);
      }
      cont = page.metadata.continue || undefined;
    } while (cont);
    if (deleted > 0) log.info('deleted expired events', { deleted, ttlSeconds: ttlMs / 1000 });
  }

  return controller;
}
