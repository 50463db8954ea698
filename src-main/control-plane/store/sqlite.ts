// The embedded default backend: one SQLite file (sqlite-log.ts has the schema). This layer batches
// writes into group commits, turns outcomes into typed errors, and fans committed events out to
// watchers. Only this process writes the file, so the events it commits are every event there is.
//
// Group commit: a write is queued; the queue is flushed on the next turn of the event loop, and
// while a batch is being committed, new writes wait and go together in the next one (the worker
// writer does that grouping on its side of the port instead). Each op in a batch gets its own
// result or its own error (a conflict fails that op only). Batches settle in commit order.
//
// Watch without gaps: watch() reads the replay (rows above afterRevision, up to the revision R the
// read saw) and subscribes in the same synchronous step. Events committed but not yet published are
// in that read; the watcher then skips live events <= R, so nothing is missed or delivered twice.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ReadRejection, SqliteLog } from './sqlite-log';
import type { WriteOp, WriteOutcome } from './sqlite-log';
import { MainThreadWriter, WorkerThreadWriter } from './sqlite-writer';
import type { BatchWriter, WriterKind } from './sqlite-writer';
import { StoreError } from './types';
import type { KeyValue, RangeOptions, RangeResult, Store, Watch, WatchEvent, WatchOptions } from './types';
import { WatchHub } from './watch-hub';

export interface SqliteStoreOptions {
  /**
   * Where write transactions run (see DEFAULT_WRITER). When not given and the worker cannot start
   * (a bundle without sqlite-worker.js), the store warns and runs them on the main thread.
   */
  writer?: WriterKind;
  /** Most writes committed in one transaction. */
  maxBatch?: number;
}

/**
 * The worker, chosen with bench/store-thread.bench.ts: with API-server-like work on the main thread
 * it matched or beat the main-thread writer on writes/s at 1, 16 and 256 writers, with lower p99
 * write latency and a third of the event-loop delay at 256 writers. The main-thread writer is faster
 * for the store alone at low concurrency (no thread hop), but the API server shares that thread.
 */
export const DEFAULT_WRITER: WriterKind = 'worker';

interface QueuedWrite {
  op: WriteOp;
  resolve: (kv: KeyValue | undefined) => void;
  reject: (err: Error) => void;
}

export class SqliteStore implements Store {
  private queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private inFlight = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  private readonly hub = new WatchHub();

  constructor(
    readonly url: string,
    private readonly reader: SqliteLog,
    private readonly writer: BatchWriter,
    private readonly maxBatch = 1000,
  ) {}

  async get(key: string): Promise<{ kv: KeyValue | undefined; revision: number }> {
    this.checkOpen();
    return this.reader.get(key);
  }

  async list(prefix: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    return translateRead(() => this.reader.list(prefix, options));
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.reader.count(prefix);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    return (await this.enqueue({ op: 'create', key, value })) as KeyValue;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    return (await this.enqueue({ op: 'update', key, value, expected: expectedModRevision })) as KeyValue;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const op: WriteOp =
      expectedModRevision === undefined
        ? { op: 'delete', key }
        : { op: 'delete', key, expected: expectedModRevision };
    return (await this.enqueue(op)) as KeyValue;
  }

  async watch(
    prefix: string,
    options: WatchOptions,
    listener: (events: WatchEvent[]) => void,
  ): Promise<Watch> {
    this.checkOpen();
    const after = options.afterRevision;
    // The read and the subscription must happen with no await in between (see the header).
    const { events, through } = translateRead(() => this.reader.replay(prefix, after));
    return this.hub.subscribe(prefix, after, events, through, listener);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.reader.readRevision();
  }

  async compact(revision: number): Promise<void> {
    await this.enqueue({ op: 'compact', revision });
  }

  async compactRevision(): Promise<number> {
    this.checkOpen();
    return this.reader.readCompactRevision();
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = (async () => {
        // Writes already accepted are committed (and answered) before the file closes.
        if (this.inFlight > 0 || this.queue.length > 0) {
          await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
        }
        this.hub.stopAll();
        await this.writer.close();
        this.reader.close();
      })();
    }
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Closed', 'store is closed');
  }

  private enqueue(op: WriteOp): Promise<KeyValue | undefined> {
    this.checkOpen();
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.queue.length === 0) return;
    if (this.inFlight > 0 && !this.writer.pipelined) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: writers woken by the previous commit queue their next write
    // in microtasks first, so they all land in this batch.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    let outcomes: WriteOutcome[] | undefined;
    let failure: Error | undefined;
    try {
      outcomes = await this.writer.apply(batch.map((w) => w.op));
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    this.inFlight--;
    if (outcomes) {
      const events: WatchEvent[] = [];
      for (const o of outcomes) if (o.ok && o.event) events.push(o.event);
      this.hub.publish(events);
      const results = outcomes;
      batch.forEach((w, i) => settle(w, results[i] as WriteOutcome));
    } else {
      for (const w of batch) w.reject(failure as Error);
    }
    if (this.queue.length > 0) this.scheduleFlush();
    else if (this.inFlight === 0 && this.drainWaiters.length > 0) {
      for (const done of this.drainWaiters.splice(0)) done();
    }
  }
}

function settle(write: QueuedWrite, outcome: WriteOutcome): void {
  // A copy: the event object itself goes to watchers.
  if (outcome.ok) write.resolve(outcome.event ? { ...outcome.event.kv } : undefined);
  else write.reject(new StoreError(outcome.code, outcome.message, outcome.current, outcome.compactRevision));
}

function translateRead<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ReadRejection) {
      throw new StoreError(err.code, err.message, undefined, err.compactRevision);
    }
    throw err;
  }
}

/** Opens (creating if needed) the database file at `path`. */
export async function openSqliteStore(
  path: string,
  options: SqliteStoreOptions = {},
  url = `sqlite://${path}`,
): Promise<Store> {
  mkdirSync(dirname(path), { recursive: true });
  const reader = new SqliteLog(path);
  try {
    const kind = options.writer ?? DEFAULT_WRITER;
    let writer: BatchWriter;
    if (kind === 'main') writer = new MainThreadWriter(reader);
    else {
      try {
        writer = await WorkerThreadWriter.start(path);
      } catch (err) {
        if (options.writer) throw err;
        process.emitWarning(
          `store: worker thread unavailable (${(err as Error).message}); writing on the main thread`,
        );
        writer = new MainThreadWriter(reader);
      }
    }
    return new SqliteStore(url, reader, writer, options.maxBatch);
  } catch (err) {
    reader.close();
    throw err;
  }
}
