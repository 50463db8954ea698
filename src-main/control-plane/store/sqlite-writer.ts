// Where the sqlite backend's write transactions run. Both writers take a batch of ops and return one
// outcome per op; the store above them batches and fans out. The main-thread writer runs the
// transaction (and its fsync) synchronously; the worker writer runs it on a worker thread so the
// event loop keeps serving while the disk syncs. bench/store-thread.bench.ts measures the two.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteLog, WriteOp, WriteOutcome } from './sqlite-log';

export interface BatchWriter {
  /**
   * True when apply() may be called again before the previous call settles (the writer commits in
   * call order and groups what queues up); false when the store must wait, batching meanwhile.
   */
  readonly pipelined: boolean;
  apply(ops: WriteOp[]): Promise<WriteOutcome[]>;
  close(): Promise<void>;
}

export type WriterKind = 'main' | 'worker';

export class MainThreadWriter implements BatchWriter {
  readonly pipelined = false;
  constructor(private readonly log: SqliteLog) {}

  async apply(ops: WriteOp[]): Promise<WriteOutcome[]> {
    return this.log.applyBatch(ops);
  }

  async close(): Promise<void> {
    // The log is shared with the reader; the store closes it.
  }
}

/** Messages between the store and its worker (sqlite-worker.ts). */
export type WorkerRequest = { id: number; type: 'apply'; ops: WriteOp[] } | { id: number; type: 'close' };
export type WorkerResponse =
  | { id: number; type: 'ready' }
  | { id: number; type: 'applied'; outcomes: WriteOutcome[] }
  | { id: number; type: 'closed' }
  | { id: number; type: 'failed'; message: string; code?: string };

export class WorkerFailure extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'WorkerFailure';
  }
}

// Under tsx or vitest this module is TypeScript and so is the worker entry: the worker then registers
// tsx's loader before importing it. A bundled build ships sqlite-worker.js beside this file.
// The worker gets no inherited execArgv, so it behaves the same under the tsx CLI, vitest and node.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(workerData.tsxApi
  ? import(pathToFileURL(workerData.tsxApi).href).then((tsx) => tsx.register())
  : Promise.resolve()
).then(() => import(workerData.entry));
`;

export class WorkerThreadWriter implements BatchWriter {
  readonly pipelined = true;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: WorkerResponse) => {
      const waiter = this.waiting.get(msg.id);
      if (!waiter) return;
      this.waiting.delete(msg.id);
      if (msg.type === 'failed') waiter.reject(new WorkerFailure(msg.message, msg.code));
      else waiter.resolve(msg);
    });
    const failAll = (err: Error) => {
      this.failure = err;
      for (const waiter of this.waiting.values()) waiter.reject(err);
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new WorkerFailure(`store worker exited (code ${code})`)));
  }

  static async start(path: string): Promise<WorkerThreadWriter> {
    const isTs = import.meta.url.endsWith('.ts');
    const entry = new URL(isTs ? './sqlite-worker.ts' : './sqlite-worker.js', import.meta.url).href;
    // tsx's ESM API (the require condition would hand us its CommonJS build, which does not work here).
    const tsxApi = isTs
      ? createRequire(import.meta.url)
          .resolve('tsx/esm/api')
          .replace(/\.cjs$/, '.mjs')
      : undefined;
    const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [], workerData: { entry, tsxApi, path } });
    const writer = new WorkerThreadWriter(worker);
    try {
      await writer.response(0); // the worker's 'ready' (or why it could not open the database)
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return writer;
  }

  private response(id: number): Promise<WorkerResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  private request(msg: WorkerRequest): Promise<WorkerResponse> {
    const res = this.response(msg.id);
    if (!this.failure) this.worker.postMessage(msg);
    return res;
  }

  async apply(ops: WriteOp[]): Promise<WriteOutcome[]> {
    const id = this.nextId++;
    const res = await this.request({ id, type: 'apply', ops });
    if (res.type !== 'applied') throw new WorkerFailure(`unexpected worker response ${res.type}`);
    return res.outcomes;
  }

  async close(): Promise<void> {
    if (!this.failure) {
      const id = this.nextId++;
      await this.request({ id, type: 'close' }).catch(() => undefined);
    }
    await this.worker.terminate();
  }
}
