// The enrollment controller: an API client (never the store) that watches Machines of type `ssh` and
// reconciles each — enrolls it (./enroll), or, when it is being deleted, removes it (./remove) and then
// drops the `flotilla.dev/enrollment` finalizer. One reconcile per Machine at a time; an event arriving
// during a run makes it run again afterwards. Transient failures (API errors, a dropped connection)
// are retried with backoff; step failures (Failed) and a first-contact host key (Pending) wait for the
// spec to change (its generation), so a fix or an accepted fingerprint resumes the enrollment.
import { createEventRecorder, type EventRecorderHandle } from '../../shared/kube/events';
import { createInformer } from '../../shared/kube/informer';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../../shared/kube/types';
import type { Machine } from '../../shared/machine';
import { enrollMachine, MACHINES, StepStopped, type EnrollContext } from './enroll';
import { REMOTE_LAYOUT, type RemoteLayout } from './remote';
import { removeMachine } from './remove';

export const ENROLLMENT_FINALIZER = 'flotilla.dev/enrollment';
export const COMPONENT = 'enrollment-controller';

export interface EnrollmentControllerOptions {
  api: KubeApi;
  dataDir: string;
  apiServerPort: number;
  agentBundle(): Promise<string>;
  layout?: RemoteLayout;
  readyTimeoutMs?: number;
  log?: { info(m: string): void; warn(m: string): void };
}

export interface EnrollmentController {
  /**
   * Stops watching. Reconciles in flight are not waited for (one may be waiting minutes for a node):
   * the status says how far they got, and the next start resumes them.
   */
  stop(): Promise<void>;
}

type Meta = { generation?: number; deletionTimestamp?: string; finalizers?: string[]; uid?: string };

function meta(m: Machine): Meta {
  return m.metadata as Meta;
}

/** Whether the Machine needs work: deleting with our finalizer, or a spec not yet settled. */
export function needsReconcile(m: Machine): boolean {
  if (m.spec.type !== 'ssh') return false;
  const md = meta(m);
  if (md.deletionTimestamp) return (md.finalizers ?? []).includes(ENROLLMENT_FINALIZER);
  if (!(md.finalizers ?? []).includes(ENROLLMENT_FINALIZER)) return true;
  const settled =
    m.status?.phase === 'Ready' || m.status?.phase === 'Failed' || m.status?.phase === 'Pending';
  return !(settled && m.status?.observedGeneration === md.generation);
}

export async function startEnrollmentController(
  options: EnrollmentControllerOptions,
): Promise<EnrollmentController> {
  const log = options.log ?? { info: () => undefined, warn: () => undefined };
  const events: EventRecorderHandle = createEventRecorder(options.api, { component: COMPONENT });
  const ctx: EnrollContext = {
    api: options.api,
    events,
    dataDir: options.dataDir,
    apiServerPort: options.apiServerPort,
    layout: options.layout ?? REMOTE_LAYOUT,
    agentBundle: options.agentBundle,
    readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
    now: () => new Date(),
  };
  const informer = createInformer<Machine & KubeObjectLike>(options.api, MACHINES, {
    onError: (m) => log.warn(`machines informer: ${m}`),
  });
  const state = new Map<string, { running: Promise<void>; again: boolean }>();
  const retries = new Map<string, { timer: NodeJS.Timeout; delayMs: number }>();
  let stopped = false;

  const reconcile = async (name: string): Promise<void> => {
    // Fresh from the API server, not the cache: the cache may not yet hold our own last status write.
    let m: Machine & KubeObjectLike;
    try {
      m = await options.api.get<Machine & KubeObjectLike>(MACHINES, name);
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      throw err;
    }
    if (!needsReconcile(m)) return;
    const md = meta(m);
    if (md.deletionTimestamp) {
      await removeMachine(ctx, m);
      const finalizers = (md.finalizers ?? []).filter((f) => f !== ENROLLMENT_FINALIZER);
      await options.api
        .patch(MACHINES, name, undefined, { metadata: { finalizers } }, 'merge')
        .catch((err: unknown) => {
          if (!isKubeApiError(err, 404)) throw err;
        });
      log.info(`machine ${name} removed`);
      return;
    }
    if (!(md.finalizers ?? []).includes(ENROLLMENT_FINALIZER)) {
      await options.api.patch(
        MACHINES,
        name,
        undefined,
        { metadata: { finalizers: [...(md.finalizers ?? []), ENROLLMENT_FINALIZER] } },
        'merge',
      );
      const fresh = await options.api.get<Machine & KubeObjectLike>(MACHINES, name);
      try {
        await enrollMachine(ctx, fresh);
      } catch (err) {
        if (!(err instanceof StepStopped)) throw err;
      }
      return;
    }
    try {
      await enrollMachine(ctx, m);
    } catch (err) {
      if (!(err instanceof StepStopped)) throw err;
    }
  };

  const schedule = (name: string): void => {
    if (stopped) return;
    const current = state.get(name);
    if (current) {
      current.again = true;
      return;
    }
    const entry = { again: false, running: Promise.resolve() };
    state.set(name, entry);
    entry.running = (async () => {
      do {
        entry.again = false;
        try {
          await reconcile(name);
          const r = retries.get(name);
          if (r) clearTimeout(r.timer);
          retries.delete(name);
        } catch (err) {
          // Transient (the API server, the network): try again with backoff.
          const previous = retries.get(name);
          if (previous) clearTimeout(previous.timer);
          const delayMs = Math.min((previous?.delayMs ?? 1000) * 2, 30_000);
          log.warn(
            `machine ${name}: ${err instanceof Error ? err.message : String(err)} (retrying in ${delayMs} ms)`,
          );
          const timer = setTimeout(() => schedule(name), delayMs);
          timer.unref();
          retries.set(name, { timer, delayMs });
        }
      } while (entry.again && !stopped);
      state.delete(name);
    })();
  };

  informer.addHandlers({
    onAdd: (m) => schedule(m.metadata.name),
    onUpdate: (_o, m) => schedule(m.metadata.name),
  });
  await informer.start();
  return {
    async stop() {
      stopped = true;
      informer.stop();
      for (const r of retries.values()) clearTimeout(r.timer);
      await Promise.race([events.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}
