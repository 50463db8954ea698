// The scheduling queue (after Kubernetes' PriorityQueue): activeQ holds pods ready to be tried, in
// queue-sort order; backoffQ holds pods waiting out their per-pod exponential backoff; the
// unschedulable pool holds pods no node could take, until a cluster event one of the plugins that
// rejected them cares about moves them back. A slow periodic flush is only a safety net.
import type { StoredPod as Pod } from '../../../shared/kube/objects';
import type { ClusterEvent, QueuedPodInfo } from '../framework/types';
import type { Clock } from './clock';
import { KeyedHeap } from './heap';

export interface QueueOptions {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
  clock: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Pods left in the unschedulable pool longer than this are retried anyway. */
  maxUnschedulableMs?: number;
  /** For each plugin, the events after which a pod it rejected may fit. */
  pluginEvents: ReadonlyMap<string, ReadonlySet<ClusterEvent>>;
}

export interface QueueStats {
  active: number;
  backoff: number;
  unschedulable: number;
  inFlight: number;
}

const keyOf = (q: QueuedPodInfo) => q.uid;

export class SchedulingQueue {
  private readonly activeQ: KeyedHeap<QueuedPodInfo>;
  private readonly backoffQ = new KeyedHeap<QueuedPodInfo>(
    keyOf,
    (a, b) => (a.backoffExpiry ?? 0) < (b.backoffExpiry ?? 0),
  );
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Popped and being scheduled or bound: updates for them are kept here until done(). */
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private waiters: ((q: QueuedPodInfo | undefined) => void)[] = [];
  private backoffTimer: unknown;
  private backoffTimerAt = Infinity;
  private flushTimer: unknown;
  private closed = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;

  constructor(private readonly options: QueueOptions) {
    this.activeQ = new KeyedHeap(keyOf, options.less);
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? 60_000;
    this.scheduleFlush();
  }

  stats(): QueueStats {
    return {
      active: this.activeQ.size,
      backoff: this.backoffQ.size,
      unschedulable: this.unschedulable.size,
      inFlight: this.inFlight.size,
    };
  }

  has(uid: string): boolean {
    return (
      this.activeQ.has(uid) || this.backoffQ.has(uid) || this.unschedulable.has(uid) || this.inFlight.has(uid)
    );
  }

  add(pod: Pod): void {
    const uid = pod.metadata.uid;
    if (this.has(uid)) {
      this.update(pod);
      return;
    }
    const now = this.options.clock.now();
    this.pushActive({
      pod,
      uid,
      initialAttemptTimestamp: now,
      timestamp: now,
      attempts: 0,
      unschedulablePlugins: new Set(),
      cycle: 0,
    });
  }

  /** A pending pod changed. A change to what scheduling reads gives an unschedulable pod another try. */
  update(pod: Pod): void {
    const uid = pod.metadata.uid;
    const inActive = this.activeQ.get(uid) ?? this.backoffQ.get(uid) ?? this.inFlight.get(uid);
    if (inActive) {
      inActive.pod = pod;
      return;
    }
    const q = this.unschedulable.get(uid);
    if (!q) {
      this.add(pod);
      return;
    }
    const changed = schedulingInputsChanged(q.pod, pod);
    q.pod = pod;
    if (!changed) return;
    this.unschedulable.delete(uid);
    q.unschedulablePlugins.clear();
    if (this.isBackingOff(q)) this.pushBackoff(q);
    else this.pushActive(q);
  }

  delete(uid: string): void {
    this.activeQ.delete(uid);
    this.backoffQ.delete(uid);
    this.unschedulable.delete(uid);
    this.inFlight.delete(uid);
  }

  /** Waits for the next pod to try. Resolves undefined once the queue is closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.takeActive();
    if (q) return Promise.resolve(q);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The pod left the scheduler's hands (bound, or re-queued). */
  done(uid: string): void {
    this.inFlight.delete(uid);
  }

  /** The pod's current object if it is still queued or in flight (it may have changed meanwhile). */
  current(uid: string): Pod | undefined {
    return (
      this.inFlight.get(uid) ??
      this.activeQ.get(uid) ??
      this.backoffQ.get(uid) ??
      this.unschedulable.get(uid)
    )?.pod;
  }

  /**
   * No node fit. If a cluster event arrived while the pod was being tried, it goes to backoffQ (the
   * event may already have helped); otherwise to the unschedulable pool to wait for one.
   */
  addUnschedulable(q: QueuedPodInfo, rejectors: Iterable<string>): void {
    if (!this.inFlight.has(q.uid)) return; // deleted while being tried
    this.inFlight.delete(q.uid);
    q.unschedulablePlugins = new Set(rejectors);
    q.timestamp = this.options.clock.now();
    if (this.moveRequestCycle >= q.cycle) this.pushBackoff(q);
    else this.unschedulable.set(q.uid, q);
  }

  /** An error (API failure, binding conflict): retry after backoff. */
  addBackoff(q: QueuedPodInfo): void {
    if (!this.inFlight.has(q.uid)) return;
    this.inFlight.delete(q.uid);
    q.timestamp = this.options.clock.now();
    this.pushBackoff(q);
  }

  /** A cluster event happened: pods it may help leave the unschedulable pool. */
  moveOnEvent(event: ClusterEvent, mayHelp?: (pod: Pod) => boolean): number {
    this.moveRequestCycle = this.schedulingCycle;
    let moved = 0;
    for (const [uid, q] of this.unschedulable) {
      if (!this.interested(q, event)) continue;
      if (mayHelp && !mayHelp(q.pod)) continue;
      this.unschedulable.delete(uid);
      if (this.isBackingOff(q)) this.pushBackoff(q);
      else this.pushActive(q);
      moved++;
    }
    return moved;
  }

  close(): void {
    this.closed = true;
    if (this.backoffTimer !== undefined) this.options.clock.clearTimer(this.backoffTimer);
    if (this.flushTimer !== undefined) this.options.clock.clearTimer(this.flushTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private interested(q: QueuedPodInfo, event: ClusterEvent): boolean {
    if (q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) {
      if (this.options.pluginEvents.get(p)?.has(event) ?? true) return true;
    }
    return false;
  }

  backoffDuration(q: QueuedPodInfo): number {
    if (q.attempts <= 0) return 0;
    const d = this.initialBackoffMs * 2 ** Math.min(q.attempts - 1, 30);
    return Math.min(d, this.maxBackoffMs);
  }

  private isBackingOff(q: QueuedPodInfo): boolean {
    return q.timestamp + this.backoffDuration(q) > this.options.clock.now();
  }

  private pushActive(q: QueuedPodInfo): void {
    if (this.closed) return;
    q.timestamp = Math.max(q.timestamp, q.initialAttemptTimestamp);
    const w = this.waiters.shift();
    if (w && this.activeQ.size === 0) {
      w(this.markInFlight(q));
      return;
    }
    this.activeQ.push(q);
    if (w) w(this.takeActive());
  }

  private pushBackoff(q: QueuedPodInfo): void {
    q.backoffExpiry = q.timestamp + this.backoffDuration(q);
    this.backoffQ.push(q);
    this.armBackoffTimer();
  }

  private takeActive(): QueuedPodInfo | undefined {
    const q = this.activeQ.pop();
    return q ? this.markInFlight(q) : undefined;
  }

  private markInFlight(q: QueuedPodInfo): QueuedPodInfo {
    q.attempts++;
    q.cycle = ++this.schedulingCycle;
    this.inFlight.set(q.uid, q);
    return q;
  }

  private armBackoffTimer(): void {
    const head = this.backoffQ.peek();
    if (!head || this.closed) return;
    const at = head.backoffExpiry ?? 0;
    if (at >= this.backoffTimerAt) return;
    if (this.backoffTimer !== undefined) this.options.clock.clearTimer(this.backoffTimer);
    this.backoffTimerAt = at;
    this.backoffTimer = this.options.clock.setTimer(
      () => {
        this.backoffTimer = undefined;
        this.backoffTimerAt = Infinity;
        this.flushBackoff();
      },
      Math.max(0, at - this.options.clock.now()),
    );
  }

  /** Moves pods whose backoff has expired to activeQ. */
  flushBackoff(): void {
    const now = this.options.clock.now();
    for (
      let head = this.backoffQ.peek();
      head && (head.backoffExpiry ?? 0) <= now;
      head = this.backoffQ.peek()
    ) {
      this.backoffQ.pop();
      this.pushActive(head);
    }
    this.armBackoffTimer();
  }

  /** The safety net: pods unschedulable for longer than maxUnschedulableMs are tried again. */
  flushUnschedulable(): void {
    const now = this.options.clock.now();
    for (const [uid, q] of this.unschedulable) {
      if (now - q.timestamp < this.maxUnschedulableMs) continue;
      this.unschedulable.delete(uid);
      if (this.isBackingOff(q)) this.pushBackoff(q);
      else this.pushActive(q);
    }
  }

  private scheduleFlush(): void {
    if (this.closed) return;
    this.flushTimer = this.options.clock.setTimer(
      () => {
        this.flushUnschedulable();
        this.scheduleFlush();
      },
      Math.min(30_000, this.maxUnschedulableMs),
    );
  }
}

/** Whether an update to a pending pod touches what scheduling reads (not its status). */
export function schedulingInputsChanged(a: Pod, b: Pod): boolean {
  if (a === b) return false;
  if (JSON.stringify(a.spec) !== JSON.stringify(b.spec)) return true;
  return JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {});
}
