// The kubelet's pod sync: on every pass, the pods bound to this node (desired) against the runtime's
// containers (actual). Each pod has one worker at a time; a sync asked for while one runs is folded
// into a single rerun. The decisions are actions.ts (pure); this file carries them out, keeps the
// in-memory parts of the state (backoff, why a container waits, probe workers) and reports status.
import type { EventRecorder } from '../../shared/kube/types';
import type { Clock, Timer } from '../clock';
import type { ContainerRuntime, PullProgress, RuntimeContainer } from '../runtime/types';
import { isRuntimeError } from '../runtime/types';
import type { KillAction, PodActions, StartAction } from './actions';
import { computePodActions } from './actions';
import { Backoff } from './backoff';
import { ContainerStartError, PodSetupError } from './errors';
import type { ProbeChange } from './probes';
import { ProbeManager, runtimeProbeRunner } from './probes';
import type { ProbeRunner } from './probes';
import type { WaitingReason } from './status';
import { computePodStatus, sameStatus } from './status';
import {
  containerConfig,
  DEFAULT_GRACE_PERIOD_SECONDS,
  gracePeriodOf,
  pullPolicyOf,
  sandboxConfig,
} from './translate';
import type { Container, ObjectLookup, Pod, PodStatus } from './types';
import { emptyLookup } from './types';
import type { PodVolumes, VolumePath } from './volumes';

export interface PodSyncerOptions {
  runtime: ContainerRuntime;
  nodeName: string;
  hostIP: string;
  volumes: PodVolumes;
  lookup?: ObjectLookup;
  clock: Clock;
  recorder?: EventRecorder;
  /** Called with a pod's new status whenever it differs from the last one reported. */
  onStatus?: (pod: Pod, status: PodStatus) => void;
  /** Called once a pod marked for deletion has no running container left (the API object may go). */
  onTerminated?: (pod: Pod) => void;
  /** Pull progress of images this node pulls (to surface as events or in the UI). */
  onPullProgress?: (image: string, progress: PullProgress) => void;
  probeRunner?: ProbeRunner;
  /** Where a pod's start goes (timing stages: sync, sandbox-created, …, status); off by default. */
  trace?: (pod: Pod, stage: string) => void;
  /** Restart backoff (default 10 s → 5 min). */
  backoff?: { initialMs: number; maxMs: number };
  log?: (message: string) => void;
}

interface PodWorker {
  again: boolean;
  done: Promise<void>;
}

const noRecorder: EventRecorder = { event: () => undefined };

export class PodSyncer {
  private readonly runtime: ContainerRuntime;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  readonly backoff: Backoff;
  readonly imageBackoff: Backoff;
  readonly probes: ProbeManager;
  private readonly pods = new Map<string, Pod>();
  private readonly workers = new Map<string, PodWorker>();
  private readonly waiting = new Map<string, Map<string, WaitingReason>>();
  private readonly firstSeen = new Map<string, string>();
  private readonly lastStatus = new Map<string, PodStatus>();
  private readonly timers = new Map<string, Timer>();
  private readonly terminatedReported = new Set<string>();
  private readonly pulls = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly options: PodSyncerOptions) {
    this.runtime = options.runtime;
    this.clock = options.clock;
    this.recorder = options.recorder ?? noRecorder;
    this.backoff = new Backoff(this.clock, options.backoff?.initialMs, options.backoff?.maxMs);
    this.imageBackoff = new Backoff(this.clock, options.backoff?.initialMs, options.backoff?.maxMs);
    this.probes = new ProbeManager(this.clock, options.probeRunner ?? runtimeProbeRunner(this.runtime), (c) =>
      this.onProbeChange(c),
    );
  }

  /**
   * One pass: every desired pod is synced (by its worker), every container of a pod that is not
   * desired is removed. `desired` must be the complete list of pods bound to this node.
   */
  async syncAll(desired: Pod[]): Promise<void> {
    const wanted = new Set<string>();
    for (const pod of desired) {
      const uid = pod.metadata.uid;
      if (!uid) continue;
      wanted.add(uid);
      this.pods.set(uid, pod);
      if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, new Date(this.clock.now()).toISOString());
      this.dispatch(uid);
    }
    const containers = await this.runtime.listContainers();
    const orphans = new Set<string>();
    for (const c of containers) if (!wanted.has(c.ref.podUid)) orphans.add(c.ref.podUid);
    for (const uid of await this.options.volumes.podUids()) if (!wanted.has(uid)) orphans.add(uid);
    for (const uid of [...this.pods.keys()]) if (!wanted.has(uid)) orphans.add(uid);
    for (const uid of orphans) {
      this.pods.delete(uid);
      this.dispatch(uid);
    }
  }

  /**
   * These pods changed (an informer's add/update): sync just them, now. A full pass (`syncAll`)
   * still runs periodically and finds what is no longer desired; syncing every pod on every event
   * made each pod's start cost a runtime listing per pod on the node.
   */
  syncPods(changed: Pod[]): void {
    for (const pod of changed) {
      const uid = pod.metadata.uid;
      if (!uid) continue;
      this.pods.set(uid, pod);
      if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, new Date(this.clock.now()).toISOString());
      this.dispatch(uid);
    }
  }

  /** A pod is no longer bound to this node (deleted): its containers and volumes go, now. */
  podRemoved(uid: string): void {
    if (!uid || !this.pods.has(uid)) return;
    this.pods.delete(uid);
    this.dispatch(uid);
  }

  /** Syncs one pod soon (a runtime event, a probe result, a backoff that ended). */
  requestSync(uid: string): void {
    if (this.pods.has(uid)) this.dispatch(uid);
  }

  /** Resolves when no pod worker is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()].map((w) => w.done));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.probes.stopAll();
  }

  /** The status last computed for a pod (what was reported). */
  statusOf(uid: string): PodStatus | undefined {
    return this.lastStatus.get(uid);
  }

  private dispatch(uid: string): void {
    if (this.stopped) return;
    const existing = this.workers.get(uid);
    if (existing) {
      existing.again = true;
      return;
    }
    const worker: PodWorker = { again: true, done: Promise.resolve() };
    this.workers.set(uid, worker);
    worker.done = (async () => {
      try {
        while (worker.again && !this.stopped) {
          worker.again = false;
          const pod = this.pods.get(uid);
          try {
            if (pod) await this.syncPod(pod);
            else await this.cleanupPod(uid);
          } catch (err) {
            this.log(`sync of pod ${uid} failed: ${err instanceof Error ? err.message : String(err)}`);
            this.scheduleSync(uid, this.clock.now() + 2_000);
          }
        }
      } finally {
        this.workers.delete(uid);
      }
    })();
  }

  private scheduleSync(uid: string, at: number): void {
    if (this.stopped) return;
    this.timers.get(uid)?.cancel();
    this.timers.set(
      uid,
      this.clock.setTimeout(
        () => {
          this.timers.delete(uid);
          this.requestSync(uid);
        },
        Math.max(0, at - this.clock.now()),
      ),
    );
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event(pod, type, reason, message);
  }

  private log(message: string): void {
    this.options.log?.(message);
  }

  private trace(pod: Pod, stage: string): void {
    this.options.trace?.(pod, stage);
  }

  private waitingFor(uid: string): Map<string, WaitingReason> {
    let m = this.waiting.get(uid);
    if (!m) this.waiting.set(uid, (m = new Map()));
    return m;
  }

  // --------------------------------------------------------------------------------------- sync

  private async syncPod(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    if (pod.metadata.deletionTimestamp) return this.terminatePod(pod);

    if (!this.lastStatus.has(uid)) this.trace(pod, 'sync');
    let containers = await this.runtime.listContainers({ podUid: uid });
    let volumePaths: Map<string, VolumePath> | undefined;
    try {
      const prepared = await this.options.volumes.prepare(pod, this.options.lookup ?? emptyLookup);
      volumePaths = prepared.paths;
    } catch (err) {
      if (!(err instanceof PodSetupError)) throw err;
      this.event(pod, 'Warning', err.reason, `MountVolume.SetUp failed: ${err.message}`);
      this.scheduleSync(uid, this.clock.now() + 5_000);
    }

    if (volumePaths) {
      const split = splitState(containers);
      const actions = computePodActions(pod, split, {
        now: this.clock.now(),
        backoff: this.backoff,
        probes: this.probes,
      });
      const changed = await this.execute(pod, actions, split.sandboxes, volumePaths);
      if (changed) containers = await this.runtime.listContainers({ podUid: uid });
    }
    this.report(pod, containers);
  }

  /** Carries out the actions; returns whether anything in the runtime changed. */
  private async execute(
    pod: Pod,
    actions: PodActions,
    sandboxes: RuntimeContainer[],
    volumes: Map<string, VolumePath>,
  ): Promise<boolean> {
    const uid = pod.metadata.uid ?? '';
    const waiting = this.waitingFor(uid);
    let changed = actions.kill.length > 0 || actions.remove.length > 0;

    await Promise.all(actions.kill.map((k) => this.kill(pod, k)));
    if (actions.stopSandbox) {
      await this.runtime.stopContainer(actions.stopSandbox.id, 0);
      changed = true;
    }
    for (const c of actions.remove) await this.runtime.removeContainer(c.id);

    for (const wait of actions.backoff) {
      waiting.set(wait.containerName, { reason: 'CrashLoopBackOff', message: wait.message });
      this.event(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${wait.containerName} in pod ${pod.metadata.name ?? ''}`,
      );
      this.scheduleSync(uid, wait.retryAt);
    }

    let sandbox = sandboxes.sort((a, b) => b.ref.attempt - a.ref.attempt)[0];
    // Containers created while their new sandbox started: start action → its container (or false
    // when its creation failed), for the sandbox it was made in.
    const early = new Map<StartAction, { sandboxId: string; id: string | false }>();
    if (actions.createSandbox) {
      changed = true;
      this.probes.forgetPod(uid);
      // App containers (not init ones, which run one after another) only need the sandbox's id.
      const overlap = actions.start.every((s) => s.kind === 'app') ? actions.start : [];
      try {
        sandbox = await this.runtime.runSandbox(sandboxConfig(pod, actions.createSandbox.attempt), {
          onCreated: async (created) => {
            this.trace(pod, 'sandbox-created');
            await Promise.all(
              overlap.map(async (start) => {
                const id = await this.createFor(pod, start, created.ip, created.id, volumes);
                early.set(start, { sandboxId: created.id, id });
              }),
            );
          },
        });
        this.trace(pod, 'sandbox-started');
        if (actions.createSandbox.attempt > 0)
          this.event(pod, 'Normal', 'SandboxChanged', actions.createSandbox.reason);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
        // What was made for the sandbox that did not start cannot run.
        for (const made of early.values()) if (made.id) await this.runtime.removeContainer(made.id);
        this.scheduleSync(uid, this.clock.now() + 5_000);
        return changed;
      }
    }
    if (!sandbox?.ip) return changed;

    for (const start of actions.start) {
      changed = true;
      const made = early.get(start);
      let id: string | false;
      if (made && made.sandboxId === sandbox.id) {
        id = made.id;
      } else {
        // Made for a sandbox the runtime replaced (an address clash), or never made: (re)create.
        if (made?.id) await this.runtime.removeContainer(made.id);
        id = await this.createFor(pod, start, sandbox.ip, sandbox.id, volumes);
      }
      const ok = id !== false && (await this.launch(pod, start, id));
      // Init containers run one at a time: a failed start stops the sequence.
      if (!ok && start.kind === 'init') break;
    }
    return changed;
  }

  private async kill(pod: Pod, k: KillAction): Promise<void> {
    const name = k.container.ref.containerName || 'sandbox';
    this.event(pod, 'Normal', 'Killing', `Stopping container ${name}: ${k.message}`);
    await this.runtime.stopContainer(k.container.id, k.gracePeriodSeconds);
  }

  /** Makes the image present and creates the container; its id, or false (the failure is recorded). */
  private async createFor(
    pod: Pod,
    start: StartAction,
    podIP: string,
    sandboxId: string,
    volumes: Map<string, VolumePath>,
  ): Promise<string | false> {
    const name = start.container.name;
    try {
      await this.ensureImage(pod, start.container);
      const config = containerConfig(pod, start.container, start.kind, start.attempt, {
        nodeName: this.options.nodeName,
        hostIP: this.options.hostIP,
        podIP,
        lookup: this.options.lookup ?? emptyLookup,
        volumePaths: volumes,
      });
      let id: string;
      try {
        id = await this.runtime.createContainer(sandboxId, config);
      } catch (err) {
        throw new ContainerStartError(
          'CreateContainerError',
          err instanceof Error ? err.message : String(err),
        );
      }
      this.trace(pod, `created ${name}`);
      this.event(pod, 'Normal', 'Created', `Created container ${name}`);
      if (start.restartKey) this.backoff.next(start.restartKey, start.restartOf ?? this.clock.now());
      return id;
    } catch (err) {
      this.startFailed(pod, start, err);
      return false;
    }
  }

  /** Starts a created container; whether it started (the failure is recorded). */
  private async launch(pod: Pod, start: StartAction, id: string): Promise<boolean> {
    const name = start.container.name;
    try {
      try {
        await this.runtime.startContainer(id);
      } catch (err) {
        throw new ContainerStartError('RunContainerError', err instanceof Error ? err.message : String(err));
      }
      this.trace(pod, `started ${name}`);
      this.event(pod, 'Normal', 'Started', `Started container ${name}`);
      this.waitingFor(pod.metadata.uid ?? '').delete(name);
      return true;
    } catch (err) {
      this.startFailed(pod, start, err);
      return false;
    }
  }

  /** Records why a container could not be created or started, and when to try again. */
  private startFailed(pod: Pod, start: StartAction, err: unknown): void {
    if (!(err instanceof ContainerStartError)) throw err;
    const uid = pod.metadata.uid ?? '';
    const name = start.container.name;
    this.waitingFor(uid).set(name, { reason: err.reason, message: err.message });
    if (err.reason !== 'ImagePullBackOff')
      this.event(pod, 'Warning', 'Failed', `Error: ${err.reason}: ${err.message}`);
    const retryKey = `${uid}/${name}/start`;
    // Errors other than the pull's own backoff retry on the restart backoff, so a broken spec does not spin.
    if (err.reason === 'ErrImagePull') {
      // Look again soon, so the status shows ImagePullBackOff while the backoff runs.
      this.scheduleSync(uid, this.clock.now() + 1_000);
    } else if (err.reason === 'ImagePullBackOff') {
      this.scheduleSync(
        uid,
        this.clock.now() + Math.max(100, this.imageBackoff.remainingSinceUpdate(imageKey(start.container))),
      );
    } else {
      this.backoff.next(retryKey, this.clock.now());
      this.scheduleSync(uid, this.clock.now() + this.backoff.delayMs(retryKey));
    }
  }

  /** Makes the container's image present per its pull policy; throws ContainerStartError with the kubelet's reasons. */
  private async ensureImage(pod: Pod, container: Container): Promise<void> {
    const image = container.image ?? '';
    const policy = pullPolicyOf(container);
    if (policy !== 'Always') {
      const present = await this.runtime.imagePresent(image);
      if (present) {
        // The kubelet's event for a start without a pull (`kubectl describe` shows it).
        this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return;
      }
      if (policy === 'Never') {
        throw new ContainerStartError(
          'ErrImageNeverPull',
          `Container image "${image}" is not present with pull policy of Never`,
        );
      }
    }
    const key = imageKey(container);
    if (this.imageBackoff.isInBackOffSinceUpdate(key)) {
      throw new ContainerStartError('ImagePullBackOff', `Back-off pulling image "${image}"`);
    }
    let pull = this.pulls.get(image);
    if (!pull) {
      this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
      const started = this.clock.now();
      pull = this.runtime
        .pullImage(image, (p) => this.options.onPullProgress?.(image, p))
        .then(
          () => {
            const seconds = ((this.clock.now() - started) / 1000).toFixed(3);
            this.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${seconds}s`);
          },
          (err: unknown) => {
            // Recorded once per failed pull, however many pods waited for it.
            this.imageBackoff.next(key, this.clock.now());
            throw err;
          },
        );
      this.pulls.set(image, pull);
      void pull.finally(() => this.pulls.delete(image)).catch(() => undefined);
    }
    try {
      await pull;
    } catch (err) {
      const message = isRuntimeError(err) ? err.message : `failed to pull image "${image}": ${String(err)}`;
      throw new ContainerStartError('ErrImagePull', message);
    }
  }

  // ------------------------------------------------------------------------------ termination

  /** Stops a pod marked for deletion: every container gets SIGTERM, then SIGKILL after the grace period. */
  private async terminatePod(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    this.probes.forgetPod(uid);
    const grace = pod.metadata.deletionGracePeriodSeconds ?? gracePeriodOf(pod);
    const all = await this.runtime.listContainers({ podUid: uid });
    const { sandboxes, containers } = splitState(all);
    const running = containers.filter((c) => c.state === 'running');
    await Promise.all(
      running.map((c) =>
        this.kill(pod, {
          container: c,
          reason: 'Killing',
          message: 'Pod is being deleted',
          gracePeriodSeconds: grace,
        }),
      ),
    );
    await Promise.all(
      sandboxes.filter((s) => s.state === 'running').map((s) => this.runtime.stopContainer(s.id, 0)),
    );
    this.report(pod, await this.runtime.listContainers({ podUid: uid }));
    if (!this.terminatedReported.has(uid)) {
      this.terminatedReported.add(uid);
      this.options.onTerminated?.(pod);
    }
  }

  /** Removes everything of a pod that is no longer bound to this node (or no longer exists). */
  private async cleanupPod(uid: string): Promise<void> {
    this.probes.forgetPod(uid);
    this.timers.get(uid)?.cancel();
    this.timers.delete(uid);
    const all = await this.runtime.listContainers({ podUid: uid });
    const { sandboxes, containers } = splitState(all);
    await Promise.all(
      containers
        .filter((c) => c.state === 'running')
        .map((c) => this.runtime.stopContainer(c.id, c.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS)),
    );
    for (const c of [...containers, ...sandboxes]) await this.runtime.removeContainer(c.id);
    await this.options.volumes.cleanup(uid);
    this.backoff.forgetPrefix(`${uid}/`);
    this.waiting.delete(uid);
    this.firstSeen.delete(uid);
    this.lastStatus.delete(uid);
    this.terminatedReported.delete(uid);
  }

  // ------------------------------------------------------------------------------------ status

  private report(pod: Pod, all: RuntimeContainer[]): void {
    const uid = pod.metadata.uid ?? '';
    const { sandboxes, containers } = splitState(all);
    const sandbox = sandboxes.sort((a, b) => b.ref.attempt - a.ref.attempt)[0];
    const waiting = this.waitingFor(uid);
    // A wait recorded for a container that runs again is over.
    for (const name of [...waiting.keys()]) {
      if (containers.some((c) => c.ref.containerName === name && c.state === 'running')) waiting.delete(name);
    }
    const input = {
      pod,
      containers,
      waiting,
      probes: this.probes,
      hostIP: this.options.hostIP,
      firstSeen: this.firstSeen.get(uid) ?? new Date(this.clock.now()).toISOString(),
      now: new Date(this.clock.now()).toISOString(),
      ...(sandbox ? { sandbox } : {}),
    };
    const previous = this.lastStatus.get(uid);
    // Keep condition transition times stable across passes: compute against what was last reported.
    const status = computePodStatus({
      ...input,
      pod: previous ? { ...pod, status: { ...pod.status, ...previous } } : pod,
    });
    if (!pod.metadata.deletionTimestamp && sandbox?.ip && sandbox.state === 'running') {
      const running: { spec: Container; container: RuntimeContainer }[] = [];
      for (const spec of pod.spec.containers) {
        const c = containers
          .filter((x) => x.ref.kind === 'app' && x.ref.containerName === spec.name && x.state === 'running')
          .sort((a, b) => b.ref.attempt - a.ref.attempt)[0];
        if (c) running.push({ spec, container: c });
      }
      this.probes.update(pod, running, sandbox.ip);
    }
    if (sameStatus(previous, status)) return;
    this.lastStatus.set(uid, status);
    if (status.phase !== previous?.phase) this.trace(pod, `status ${status.phase ?? ''}`);
    this.options.onStatus?.(pod, status);
  }

  private onProbeChange(change: ProbeChange): void {
    if (change.result === 'failure') {
      const kind = change.kind[0]?.toUpperCase() + change.kind.slice(1);
      this.event(change.pod, 'Warning', 'Unhealthy', `${kind} probe failed: ${change.output}`.trim());
    }
    this.requestSync(change.pod.metadata.uid ?? '');
  }
}

function imageKey(container: Container): string {
  return `image/${container.image ?? ''}`;
}

export function splitState(all: RuntimeContainer[]): {
  sandboxes: RuntimeContainer[];
  containers: RuntimeContainer[];
} {
  return {
    sandboxes: all.filter((c) => c.ref.kind === 'sandbox'),
    containers: all.filter((c) => c.ref.kind !== 'sandbox'),
  };
}
