// A bounded, fair gate for the Docker engine calls that change things (create, start, kill, remove,
// network create/remove). Why: Docker engines before 28.1 deadlock libnetwork when many container
// starts, stops and removals on one network run at once (moby#42119 and relatives): a 500-pod churn
// at 20/s with unbounded calls wedged Debian's dockerd 20.10 until it was restarted.
//
// Fairness, so a burst of one kind of work cannot hold everything else back:
// - two lanes, `setup` (create/start) and `teardown` (kill/remove): when both have work waiting, a
//   freed slot goes to the lane that was not served last, so deleting many pods never starves
//   creating one (and the other way round);
// - within a lane, calls are queued per key (a pod UID) and keys are served round-robin, so one pod
//   with many containers does not delay every other pod's first call. A key's own calls keep their
//   order.
// Reads (list, inspect, logs, stats, events) and waits are not gated: they neither hold the engine's
// locks for long nor feed the deadlock, and gating a long wait would hold a slot for nothing.

export type EngineLane = 'setup' | 'teardown';

export interface EngineLimiterStats {
  active: number;
  queued: number;
  /** The most calls ever in flight at once (never above the limit). */
  peakActive: number;
  /** Calls that finished (either way). */
  completed: number;
}

interface Task {
  call: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class EngineLimiter {
  readonly limit: number;
  private active = 0;
  private peakActive = 0;
  private completed = 0;
  private lastLane: EngineLane = 'teardown';
  /** Per lane: key → its waiting calls; Map order is the round-robin order. */
  private readonly queues: Record<EngineLane, Map<string, Task[]>> = {
    setup: new Map(),
    teardown: new Map(),
  };

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`engine call limit must be a positive integer, not ${limit}`);
    this.limit = limit;
  }

  /** Runs `call` once a slot is free and it is this key's turn; settles as `call` does. */
  run<T>(key: string, lane: EngineLane, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queue = this.queues[lane];
      let tasks = queue.get(key);
      if (!tasks) queue.set(key, (tasks = []));
      tasks.push({ call, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  stats(): EngineLimiterStats {
    let queued = 0;
    for (const lane of Object.values(this.queues)) for (const tasks of lane.values()) queued += tasks.length;
    return { active: this.active, queued, peakActive: this.peakActive, completed: this.completed };
  }

  private pump(): void {
    while (this.active < this.limit) {
      const task = this.next();
      if (!task) return;
      this.active++;
      this.peakActive = Math.max(this.peakActive, this.active);
      let result: Promise<unknown>;
      try {
        result = task.call();
      } catch (err) {
        result = Promise.reject(err);
      }
      void result.then(task.resolve, task.reject).finally(() => {
        this.active--;
        this.completed++;
        this.pump();
      });
    }
  }

  private next(): Task | undefined {
    const other: EngineLane = this.lastLane === 'setup' ? 'teardown' : 'setup';
    for (const lane of [other, this.lastLane]) {
      const queue = this.queues[lane];
      const first = queue.entries().next();
      if (first.done) continue;
      const [key, tasks] = first.value;
      const task = tasks.shift() as Task;
      // The key goes to the back of the round, or leaves it when it has nothing more waiting.
      queue.delete(key);
      if (tasks.length > 0) queue.set(key, tasks);
      this.lastLane = lane;
      return task;
    }
    return undefined;
  }
}
