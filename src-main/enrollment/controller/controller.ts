// The enrollment controller: an API client (never the store) that watches Machines and reconciles
// each — enrolls it (`ssh`: ./enroll; `docker`: ./docker-enroll), or, when it is being deleted,
// removes it (./remove, ./docker-remove) and then drops the `flotilla.dev/enrollment` finalizer.
// One reconcile per Machine at a time; an event arriving during a run makes it run again afterwards. Transient failures (API errors, a dropped connection)
// are retried with backoff; step failures (Failed) and a first-contact host key (Pending) wait for the
// spec to change (its generation), so a fix or an accepted fingerprint resumes the enrollment.
// It also holds the SSH tunnels (./tunnel) of Machines whose agent reaches the API server through one:
// opened by the enrollment, held again after a restart for every Machine whose agent was installed
// with a tunnel, closed when the Machine is removed.
import { createEventRecorder, type EventRecorderHandle } from '../../shared/kube/events';
import { createInformer } from '../../shared/kube/informer';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../../shared/kube/types';
import type { Machine } from '../../shared/machine';
import { connectSsh } from '../ssh';
import { enrollDockerMachine, type DockerEnrollContext } from './docker-enroll';
import { removeDockerMachine } from './docker-remove';
import { enrollMachine, machineTarget, MACHINES, StepStopped, type EnrollContext } from './enroll';
import { REMOTE_LAYOUT, type RemoteLayout } from './remote';
import { removeMachine } from './remove';
import { stepOf } from './status';
import { createTunnelManager, type TunnelManager } from './tunnel';

export const ENROLLMENT_FINALIZER = 'flotilla.dev/enrollment';
export const COMPONENT = 'enrollment-controller';

export interface EnrollmentControllerOptions {
  api: KubeApi;
  dataDir: string;
  apiServerPort: number;
  /** The API server's address on this machine, where tunnels deliver (default 127.0.0.1). */
  apiServerHost?: string;
  /** https://HOST:PORT as an agent on this machine reaches it (docker Machines; default 127.0.0.1). */
  apiServerUrl?: string;
  agentBundle(): Promise<string>;
  /** Tunnel re-establishment backoff (default 50 ms doubling to 5 s). */
  tunnelRetry?: { initialMs?: number; maxMs?: number };
  layout?: RemoteLayout;
  readyTimeoutMs?: number;
  log?: { info(m: string): void; warn(m: string): void };
}

export interface EnrollmentController {
  /** The tunnels it holds (for status and tests). */
  readonly tunnels: TunnelManager;
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
  if (m.spec.type !== 'ssh' && m.spec.type !== 'docker') return false;
  const md = meta(m);
  if (md.deletionTimestamp) return (md.finalizers ?? []).includes(ENROLLMENT_FINALIZER);
  if (!(md.finalizers ?? []).includes(ENROLLMENT_FINALIZER)) return true;
  const settled =
    m.status?.phase === 'Ready' || m.status?.phase === 'Failed' || m.status?.phase === 'Pending';
  return !(settled && m.status?.observedGeneration === md.generation);
}

/** Whether the control plane should hold a tunnel for the Machine: its agent was installed to use one. */
export function holdsTunnel(m: Machine): boolean {
  if (m.spec.type !== 'ssh' || meta(m).deletionTimestamp) return false;
  return m.status?.reachability === 'tunnel' && stepOf(m.status, 'push-agent')?.state === 'done';
}

export async function startEnrollmentController(
  options: EnrollmentControllerOptions,
): Promise<EnrollmentController> {
  const log = options.log ?? { info: () => undefined, warn: () => undefined };
  const events: EventRecorderHandle = createEventRecorder(options.api, { component: COMPONENT });
  const tunnels = createTunnelManager({
    api: options.api,
    events,
    dataDir: options.dataDir,
    local: { host: options.apiServerHost ?? '127.0.0.1', port: options.apiServerPort },
    connect: async (name) => {
      const m = await options.api.get<Machine & KubeObjectLike>(MACHINES, name);
      return connectSsh(await machineTarget(options.api, m), { timeoutMs: 15_000 });
    },
    now: () => new Date(),
    ...(options.tunnelRetry ? { retry: options.tunnelRetry } : {}),
    log,
  });
  const ctx: EnrollContext = {
    tunnels,
    api: options.api,
    events,
    dataDir: options.dataDir,
    apiServerPort: options.apiServerPort,
    layout: options.layout ?? REMOTE_LAYOUT,
    agentBundle: options.agentBundle,
    readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
    now: () => new Date(),
  };
  const dockerCtx: DockerEnrollContext = {
    ...ctx,
    apiServer: options.apiServerUrl ?? `https://127.0.0.1:${options.apiServerPort}`,
  };
  const enroll = (m: Machine) =>
    m.spec.type === 'docker' ? enrollDockerMachine(dockerCtx, m) : enrollMachine(ctx, m);
  const remove = (m: Machine) =>
    m.spec.type === 'docker' ? removeDockerMachine(ctx, m) : removeMachine(ctx, m);
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
      await remove(m);
      // Only now: draining needs the agent, and the agent needs its tunnel.
      await tunnels.stop(name);
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
        await enroll(fresh);
      } catch (err) {
        if (!(err instanceof StepStopped)) throw err;
      }
      return;
    }
    try {
      await enroll(m);
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

  const observe = (m: Machine) => {
    if (!stopped && holdsTunnel(m)) tunnels.hold(m);
    schedule(m.metadata.name);
  };
  informer.addHandlers({
    onAdd: observe,
    onUpdate: (_o, m) => observe(m),
    onDelete: (m) => void tunnels.stop(m.metadata.name),
  });
  await informer.start();
  return {
    tunnels,
    async stop() {
      stopped = true;
      informer.stop();
      await tunnels.stopAll();
      for (const r of retries.values()) clearTimeout(r.timer);
      await Promise.race([events.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}
