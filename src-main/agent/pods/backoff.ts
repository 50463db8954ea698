// Restart and image-pull backoff, as kubelet's flowcontrol.Backoff: per key, the delay starts at
// 10 s and doubles up to 5 min. The first restart after a crash is immediate; a container that ran
// for longer than twice the maximum (10 min) since its last restart starts over at 10 s.
import type { Clock } from '../clock';

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    readonly initialMs = 10_000,
    readonly maxMs = 300_000,
  ) {}

  private expired(entry: Entry, eventTime: number): boolean {
    return eventTime - entry.lastUpdate > 2 * this.maxMs;
  }

  /** True while `eventTime` (when the container finished) is less than the current delay ago. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, eventTime)) return false;
    return this.clock.now() - eventTime < entry.delayMs;
  }

  /** True while the last failure (recorded by next()) is less than the current delay ago. */
  isInBackOffSinceUpdate(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    const now = this.clock.now();
    if (this.expired(entry, now)) return false;
    return now - entry.lastUpdate < entry.delayMs;
  }

  /** Records a restart (or a failed pull) at `eventTime` and grows the delay. */
  next(key: string, eventTime: number): void {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, eventTime)) {
      this.entries.set(key, { delayMs: this.initialMs, lastUpdate: eventTime });
      return;
    }
    entry.delayMs = Math.min(entry.delayMs * 2, this.maxMs);
    entry.lastUpdate = eventTime;
  }

  /** The current delay for a key (0 when none), for messages like "back-off 20s". */
  delayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** When the backoff that began at eventTime ends (to schedule the next sync). */
  readyAt(key: string, eventTime: number): number {
    return eventTime + this.delayMs(key);
  }

  /** How long until the backoff recorded by the last next() ends (0 when it has). */
  remainingSinceUpdate(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.lastUpdate + entry.delayMs - this.clock.now());
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets keys with a given prefix (a pod that is gone). */
  forgetPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
