// Records what a component did as core/v1 Events. Calls never block or throw: each event is written in
// the background. A repeat of the same event (same object, type, reason and message) within the
// aggregation window bumps count and lastTimestamp on the existing Event instead of adding another,
// which is what `kubectl describe` shows as "(x4 over 2m)".
import { findResourceByKind, RESOURCES } from '../resources';
import type { ResourceInfo } from '../resources';
import type { CoreEvent } from './objects';
import { isKubeApiError } from './types';
import type { EventRecorder, KubeApi, KubeObjectLike } from './types';

/** The logging surface the shared client needs (platform/logger's Logger satisfies it). */
export interface KubeLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  debug?(message: string, fields?: Record<string, unknown>): void;
}

export interface EventRecorderOptions {
  /** `source.component` and `reportingComponent`, e.g. `replicaset-controller`. */
  component: string;
  /** `source.host`; also makes `reportingInstance` `<component>-<host>`. */
  host?: string;
  /** Repeats within this window are aggregated (default 10 minutes, like client-go). */
  aggregationWindowMs?: number;
  /** Writes in flight at once (default 8); events for the same aggregation key are always serial. */
  concurrency?: number;
  /** Events waiting beyond this are dropped with a warning rather than growing memory (default 10,000). */
  maxPending?: number;
  now?: () => Date;
  log?: KubeLog;
}

export interface EventRecorderHandle extends EventRecorder {
  /** Resolves when every event recorded so far has been written (or has failed). For tests and shutdown. */
  flush(): Promise<void>;
}

const EVENTS: ResourceInfo = RESOURCES.find((r) => r.group === '' && r.kind === 'Event') as ResourceInfo;
const MAX_MESSAGE_LENGTH = 1024;

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
}

/** MicroTime as Kubernetes formats it: RFC 3339 with 6 fractional digits. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function createEventRecorder(api: KubeApi, options: EventRecorderOptions): EventRecorderHandle {
  const now = options.now ?? (() => new Date());
  const windowMs = options.aggregationWindowMs ?? 10 * 60_000;
  const concurrency = options.concurrency ?? 8;
  const maxPending = options.maxPending ?? 10_000;
  const aggregates = new Map<string, Aggregate>();
  const chains = new Map<string, Promise<void>>();
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let pending = 0;
  let sequence = 0;
  const idle = new Set<() => void>();

  async function slot(): Promise<void> {
    if (inFlight < concurrency) {
      inFlight++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  }

  function uniqueName(base: string, at: Date): string {
    // client-go names events `<object>.<unix nanos in hex>`; the sequence keeps names unique within a ms.
    const nanos = BigInt(at.getTime()) * 1_000_000n + BigInt(sequence++ % 1_000_000);
    return `${base}.${nanos.toString(16)}`;
  }

  async function write(
    key: string,
    involved: KubeObjectLike,
    type: string,
    reason: string,
    message: string,
    at: Date,
  ) {
    const meta = involved.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const existing = aggregates.get(key);
    if (existing && at.getTime() - existing.lastSeen <= windowMs) {
      try {
        await api.patch(
          EVENTS,
          existing.name,
          existing.namespace,
          { count: existing.count + 1, lastTimestamp: seconds(at) },
          'merge',
        );
        existing.count++;
        existing.lastSeen = at.getTime();
        return;
      } catch (err) {
        if (!isKubeApiError(err, 404)) throw err;
        // The Event expired or was deleted: start a new one.
      }
    }
    const kindInfo =
      involved.apiVersion && involved.kind
        ? findResourceByKind(involved.apiVersion, involved.kind)
        : undefined;
    const event: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: uniqueName(meta.name ?? 'event', at), namespace },
      involvedObject: {
        kind: involved.kind ?? kindInfo?.kind,
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: meta.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: options.component, ...(options.host ? { host: options.host } : {}) },
      firstTimestamp: seconds(at),
      lastTimestamp: seconds(at),
      eventTime: microTime(at),
      count: 1,
      action: reason,
      reportingComponent: options.component,
      reportingInstance: options.host ? `${options.component}-${options.host}` : options.component,
    };
    const created = await api.create<CoreEvent>(EVENTS, event, namespace);
    aggregates.set(key, {
      name: created.metadata?.name ?? event.metadata.name ?? '',
      namespace,
      count: 1,
      lastSeen: at.getTime(),
    });
    // Keep the aggregation cache bounded: forget entries older than the window.
    if (aggregates.size > 4096) {
      for (const [k, a] of aggregates) if (at.getTime() - a.lastSeen > windowMs) aggregates.delete(k);
    }
  }

  function settleIdle(): void {
    if (pending === 0) for (const resolve of [...idle]) resolve();
  }

  return {
    event(involved, type, reason, message) {
      if (pending >= maxPending) {
        options.log?.warn('dropping event: too many waiting to be written', {
          reason,
          object: involved.metadata?.name,
        });
        return;
      }
      const text =
        message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : message;
      const meta = involved.metadata ?? {};
      const key = [involved.kind, meta.namespace, meta.name, meta.uid, type, reason, text].join('\u0000');
      const at = now();
      pending++;
      const previous = chains.get(key) ?? Promise.resolve();
      const next = previous.then(async () => {
        await slot();
        try {
          await write(key, involved, type, reason, text, at);
        } catch (err) {
          options.log?.warn('could not record event', { reason, object: meta.name, error: err });
        } finally {
          release();
          pending--;
          if (chains.get(key) === next) chains.delete(key);
          settleIdle();
        }
      });
      chains.set(key, next);
    },
    flush() {
      if (pending === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          idle.delete(done);
          resolve();
        };
        idle.add(done);
      });
    },
  };
}
