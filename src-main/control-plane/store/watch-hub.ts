// In-process fan-out of committed events to watchers. Both backends feed it; each watcher keeps the
// revision it has delivered up to, so an event offered twice (once by a replay read, once by the live
// feed) is delivered once, and events reach each listener in revision order.
import type { Watch, WatchEvent } from './types';

export type ListenerErrorHandler = (err: unknown) => void;

const defaultListenerErrorHandler: ListenerErrorHandler = (err) => {
  // A listener bug must not break the store or the other watchers; make it visible instead.
  console.error('store: watch listener threw', err);
};

/** The revision an event happened at (for a delete, the delete's revision). */
export function eventRevision(event: WatchEvent): number {
  return event.kv.modRevision;
}

class Subscription implements Watch {
  private pending: WatchEvent[] = [];
  private scheduled = false;
  private stopped = false;

  constructor(
    readonly prefix: string,
    /** Every event at or below this revision has been queued for (or is irrelevant to) this watcher. */
    private lastRevision: number,
    private readonly listener: (events: WatchEvent[]) => void,
    private readonly onListenerError: ListenerErrorHandler,
    private readonly onStop: (s: Subscription) => void,
  ) {}

  offer(event: WatchEvent): void {
    if (this.stopped) return;
    const revision = eventRevision(event);
    if (revision <= this.lastRevision || !event.kv.key.startsWith(this.prefix)) return;
    this.lastRevision = revision;
    this.pending.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      // Deliver on a later turn: the caller of watch() holds its handle before the first call, and
      // one commit's events for this watcher arrive as one array.
      setImmediate(() => this.flush());
    }
  }

  /** Marks everything up to `revision` as seen (a replay read covered it). */
  skipThrough(revision: number): void {
    if (revision > this.lastRevision) this.lastRevision = revision;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.stopped || this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    try {
      this.listener(events);
    } catch (err) {
      this.onListenerError(err);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending = [];
    this.onStop(this);
  }
}

export class WatchHub {
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly onListenerError: ListenerErrorHandler = defaultListenerErrorHandler) {}

  /**
   * Registers a watcher. `replay` holds the past events (revision order, all above `afterRevision`);
   * `replayedThrough` is the revision the replay read covered, so live events up to it are skipped.
   * The caller must read the replay and call this without yielding to the event loop in between.
   */
  subscribe(
    prefix: string,
    afterRevision: number,
    replay: WatchEvent[],
    replayedThrough: number,
    listener: (events: WatchEvent[]) => void,
  ): Watch {
    const sub = new Subscription(prefix, afterRevision, listener, this.onListenerError, (s) =>
      this.subscriptions.delete(s),
    );
    for (const event of replay) sub.offer(event);
    sub.skipThrough(replayedThrough);
    this.subscriptions.add(sub);
    return sub;
  }

  /** Offers committed events, in revision order, to every watcher. */
  publish(events: readonly WatchEvent[]): void {
    if (events.length === 0) return;
    for (const sub of this.subscriptions) {
      for (const event of events) sub.offer(event);
    }
  }

  get size(): number {
    return this.subscriptions.size;
  }

  stopAll(): void {
    for (const sub of [...this.subscriptions]) sub.stop();
  }
}
