// Worker thread entry for the sqlite backend's writes (see sqlite-writer.ts): owns one connection.
// The store posts each batch as soon as it forms; batches that queue up here while a commit runs
// are drained together and committed in one transaction (group commit on this side of the port).
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { SqliteLog } from './sqlite-log';
import type { WriteOp } from './sqlite-log';
import type { WorkerRequest, WorkerResponse } from './sqlite-writer';

/** Stop draining queued batches into one transaction beyond this many ops. */
const MAX_OPS_PER_COMMIT = 4000;

if (!parentPort) throw new Error('sqlite-worker must run as a worker thread');
const port: MessagePort = parentPort;
const reply = (msg: WorkerResponse) => port.postMessage(msg);

let log: SqliteLog | undefined;
try {
  log = new SqliteLog((workerData as { path: string }).path);
  reply({ id: 0, type: 'ready' });
} catch (err) {
  reply({ id: 0, type: 'failed', message: String((err as Error).message ?? err) });
}

function commit(group: { id: number; ops: WriteOp[] }[]): void {
  if (group.length === 0 || !log) return;
  try {
    const outcomes = log.applyBatch(group.flatMap((m) => m.ops));
    let at = 0;
    for (const m of group) {
      reply({ id: m.id, type: 'applied', outcomes: outcomes.slice(at, at + m.ops.length) });
      at += m.ops.length;
    }
  } catch (err) {
    const e = err as { message?: string; code?: string };
    for (const m of group)
      reply({ id: m.id, type: 'failed', message: String(e.message ?? err), code: e.code });
  }
}

function handle(msg: WorkerRequest): void {
  if (!log) {
    reply({ id: msg.id, type: 'failed', message: 'store worker could not open the database' });
    return;
  }
  if (msg.type === 'close') {
    log.close();
    log = undefined;
    reply({ id: msg.id, type: 'closed' });
    return;
  }
  const group = [msg];
  let ops = msg.ops.length;
  let next: WorkerRequest | undefined;
  while (ops < MAX_OPS_PER_COMMIT) {
    next = (receiveMessageOnPort(port) as { message: WorkerRequest } | undefined)?.message;
    if (!next || next.type !== 'apply') break;
    group.push(next);
    ops += next.ops.length;
    next = undefined;
  }
  commit(group);
  if (next) handle(next); // a close that arrived behind the group
}

port.on('message', handle);
