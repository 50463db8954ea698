// The sync loop of a reconciler whose every pass rebuilds all of its state from informer caches (pod
// routes, the service proxy's rules). Passes never overlap: a burst of changes causes one pass after a
// short delay, a change during a pass causes one more pass right after it, a failed pass is retried
// with backoff, and a periodic pass repairs what someone changed behind our back.
import type { Clock, Timer } from '../clock';

export interface CoalescingSyncOptions {
  clock: Clock;
  /** One full pass; throws when it failed (the pass is then retried). */
  pass: () => Promise<void>;
  /** A pass failed (its error's message, and the error); a retry is scheduled. */
  onError: (message: string, err: unknown) => void;
  /** Before each periodic pass. */
  onResync?: () => void;
  /** Between a request and the pass it causes, so changes that come together make one pass. Default 50 ms. */
  delayMs?: number;
  /** Retry after the first failure; doubles with each further one, up to maxRetryDelayMs. Default 2 s. */
  retryDelayMs?: number;
  /** Default 30 s. */
  maxRetryDelayMs?: number;
  /** Between periodic passes. Default 10 s. */
  resyncIntervalMs?: number;
}

export class CoalescingSync {
  private running = false;
  /** The pass a request or a retry scheduled. */
  private timer?: Timer;
  private resyncTimer?: Timer;
  private syncing?: Promise<void>;
  private dirty = false;
  private failures = 0;

  constructor(private readonly options: CoalescingSyncOptions) {}

  /** From now on requests cause passes; runs the first pass, then passes periodically until stop(). */
  async start(): Promise<void> {
    this.running = true;
    await this.now();
    this.scheduleResync();
  }

  /** No further passes are scheduled; a pass in progress finishes (see settled()). */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
  }

  /** Asks for a pass soon (ignored unless started). */
  request(): void {
    if (!this.running) return;
    this.dirty = true;
    this.schedule(this.options.delayMs ?? 50);
  }

  /**
   * Runs a pass now, or, when one is running, has one more follow it. Resolves when the state is in
   * place or the attempt failed; never rejects. Works when stopped too (one pass).
   */
  now(): Promise<void> {
    if (this.syncing) {
      this.dirty = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.dirty = false;
          try {
            await this.options.pass();
            this.failures = 0;
          } catch (err) {
            this.options.onError(err instanceof Error ? err.message : String(err), err);
            // Whatever was asked for meanwhile waits for the retry: no tight loop against a failing host.
            this.dirty = true;
            this.schedule(this.retryDelay(this.failures++));
            break;
          }
        } while (this.dirty && this.running);
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  /** Resolves when no pass is running. */
  settled(): Promise<void> {
    return this.syncing ?? Promise.resolve();
  }

  private retryDelay(failures: number): number {
    const first = this.options.retryDelayMs ?? 2_000;
    return Math.min(first * 2 ** failures, this.options.maxRetryDelayMs ?? 30_000);
  }

  private schedule(ms: number): void {
    if (!this.running || this.timer) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.now();
    }, ms);
  }

  private scheduleResync(): void {
    if (!this.running) return;
    this.resyncTimer = this.options.clock.setTimeout(() => {
      this.options.onResync?.();
      void this.now().finally(() => this.scheduleResync());
    }, this.options.resyncIntervalMs ?? 10_000);
  }
}
