// The kubelet role of the agent, as one object with clean seams for the API wiring:
//   in:  `pods()` — the complete list of pods bound to this node (an informer's lister when wired to
//        the API server, with `podsChanged()` called from its handlers), `lookup` — ConfigMaps and
//        Secrets (informer caches);
//   out: `onStatus` / `onTerminated` (status-writer.ts patches pods/status and deletes finished pods),
//        `recorder` for Events;
//   served: `logs`, `exec`, `stats` — what the API server's pods/log and pods/exec proxy will call.
// Node registration, heartbeats and kube-proxy are separate parts of the agent.
import type { Readable } from 'node:stream';
import type { EventRecorder } from '../shared/kube/types';
import type { Clock, Timer } from './clock';
import { systemClock } from './clock';
import { PodSyncer } from './pods/pod-syncer';
import type { ProbeRunner } from './pods/probes';
import type { ObjectLookup, Pod, PodStatus } from './pods/types';
import { PodVolumes } from './pods/volumes';
import type {
  ContainerRuntime,
  ContainerStats,
  ExecOptions,
  ExecSession,
  LogOptions,
  RuntimeContainer,
  Stoppable,
} from './runtime/types';
import { RuntimeError } from './runtime/types';

export interface KubeletOptions {
  nodeName: string;
  hostIP: string;
  runtime: ContainerRuntime;
  /** Where pod volumes live on the node (emptyDir, ConfigMap/Secret projections). A host path. */
  rootDir: string;
  pods: () => Pod[];
  lookup?: ObjectLookup;
  clock?: Clock;
  recorder?: EventRecorder;
  /** Full desired-vs-actual pass interval; runtime events and timers cover the fast path (default 10 s). */
  resyncIntervalMs?: number;
  onStatus?: (pod: Pod, status: PodStatus) => void;
  onTerminated?: (pod: Pod) => void;
  probeRunner?: ProbeRunner;
  backoff?: { initialMs: number; maxMs: number };
  log?: (message: string) => void;
  /** Timing of each pod's start, stage by stage (for benchmarks; see PodSyncerOptions.trace). */
  trace?: (pod: Pod, stage: string) => void;
}

export class Kubelet {
  readonly syncer: PodSyncer;
  private readonly volumes: PodVolumes;
  private readonly runtime: ContainerRuntime;
  private readonly clock: Clock;
  private readonly interval: number;
  private timer?: Timer;
  private events?: Stoppable;
  private running = false;
  private passInFlight?: Promise<void>;
  private passAgain = false;

  constructor(private readonly options: KubeletOptions) {
    this.runtime = options.runtime;
    this.clock = options.clock ?? systemClock;
    this.interval = options.resyncIntervalMs ?? 10_000;
    this.volumes = new PodVolumes(options.rootDir);
    this.syncer = new PodSyncer({
      runtime: options.runtime,
      nodeName: options.nodeName,
      hostIP: options.hostIP,
      volumes: this.volumes,
      clock: this.clock,
      ...(options.lookup ? { lookup: options.lookup } : {}),
      ...(options.recorder ? { recorder: options.recorder } : {}),
      ...(options.onStatus ? { onStatus: options.onStatus } : {}),
      ...(options.onTerminated ? { onTerminated: options.onTerminated } : {}),
      ...(options.probeRunner ? { probeRunner: options.probeRunner } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.trace ? { trace: options.trace } : {}),
    });
  }

  /** Creates the pod network, runs a first pass, then keeps passing; returns when the first pass is dispatched. */
  async start(): Promise<Stoppable> {
    await this.runtime.ensurePodNetwork();
    this.running = true;
    this.events = this.runtime.watchEvents((e) => {
      if (e.ref && (e.action === 'die' || e.action === 'oom' || e.action === 'destroy'))
        this.syncer.requestSync(e.ref.podUid);
    });
    await this.pass();
    this.scheduleNext();
    return { stop: () => this.stop() };
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.events?.stop();
    this.syncer.stop();
  }

  /**
   * The desired pods changed (informer handlers call this). With the pods that were added or
   * updated, just those are synced, at once; without, a full pass runs now rather than at the
   * next tick (e.g. a ConfigMap that several pods use changed).
   */
  podsChanged(changed?: Pod[]): void {
    if (changed) this.syncer.syncPods(changed);
    else if (this.running) void this.pass();
  }

  /** A pod was deleted or moved off this node: its containers go now, not at the next pass. */
  podRemoved(uid: string): void {
    this.syncer.podRemoved(uid);
  }

  /** One full pass, then waits until every pod worker is idle (tests, benchmarks). */
  async syncNow(): Promise<void> {
    await this.pass();
    await this.syncer.idle();
  }

  private pass(): Promise<void> {
    if (this.passInFlight) {
      this.passAgain = true;
      return this.passInFlight;
    }
    this.passInFlight = (async () => {
      try {
        do {
          this.passAgain = false;
          await this.syncer.syncAll(this.options.pods());
        } while (this.passAgain);
      } catch (err) {
        this.options.log?.(`sync pass failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.passInFlight = undefined;
      }
    })();
    return this.passInFlight;
  }

  private scheduleNext(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      void this.pass().finally(() => this.scheduleNext());
    }, this.interval);
  }

  // ------------------------------------------------------------------- logs, exec, stats

  /**
   * The container `kubectl logs/exec -c NAME` means: the newest instance, or with `previous` the one
   * before it (which must have ended). The first container of the pod when no name is given.
   */
  async findContainer(
    namespace: string,
    podName: string,
    containerName?: string,
    previous = false,
  ): Promise<RuntimeContainer> {
    const all = await this.runtime.listContainers();
    const ofPod = all.filter(
      (c) => c.ref.podNamespace === namespace && c.ref.podName === podName && c.ref.kind !== 'sandbox',
    );
    const pod = this.options
      .pods()
      .find((p) => p.metadata.namespace === namespace && p.metadata.name === podName);
    const uid = pod?.metadata.uid;
    const name = containerName ?? pod?.spec.containers[0]?.name ?? ofPod[0]?.ref.containerName;
    const instances = ofPod
      .filter((c) => c.ref.containerName === name && (!uid || c.ref.podUid === uid))
      .sort((a, b) => b.ref.attempt - a.ref.attempt);
    const found = previous ? instances[1] : instances[0];
    if (!found) {
      const what = previous ? 'previous terminated container' : 'container';
      throw new RuntimeError('NotFound', `${what} "${name ?? ''}" in pod "${podName}" not found`);
    }
    return found;
  }

  async logs(
    namespace: string,
    podName: string,
    containerName: string | undefined,
    options: LogOptions & { previous?: boolean },
  ): Promise<Readable> {
    const c = await this.findContainer(namespace, podName, containerName, options.previous);
    return this.runtime.logs(c.id, options);
  }

  async exec(
    namespace: string,
    podName: string,
    containerName: string | undefined,
    options: ExecOptions,
  ): Promise<ExecSession> {
    const c = await this.findContainer(namespace, podName, containerName);
    if (c.state !== 'running') {
      throw new RuntimeError(
        'StartFailed',
        `container ${c.ref.containerName} is not running (cannot exec into it)`,
      );
    }
    return this.runtime.exec(c.id, options);
  }

  /** CPU and memory of each running container of this node, by pod (for metrics.k8s.io). */
  async stats(): Promise<{ namespace: string; pod: string; container: string; stats: ContainerStats }[]> {
    const running = (await this.runtime.listContainers()).filter(
      (c) => c.state === 'running' && c.ref.kind !== 'sandbox',
    );
    const results = await Promise.all(
      running.map(async (c) => {
        try {
          return {
            namespace: c.ref.podNamespace,
            pod: c.ref.podName,
            container: c.ref.containerName,
            stats: await this.runtime.stats(c.id),
          };
        } catch {
          return undefined; // it ended between list and stats
        }
      }),
    );
    return results.filter((r): r is NonNullable<typeof r> => r !== undefined);
  }

  /**
   * Removes everything this kubelet created on the node: every container (running ones get their
   * grace period) and the pod network. For `flotilla node remove`, after the node was drained.
   */
  async teardown(): Promise<void> {
    this.stop();
    await this.syncer.idle();
    const all = await this.runtime.listContainers();
    await Promise.all(
      all
        .filter((c) => c.state === 'running')
        .map((c) => this.runtime.stopContainer(c.id, c.ref.kind === 'sandbox' ? 0 : c.gracePeriodSeconds)),
    );
    await Promise.all(all.map((c) => this.runtime.removeContainer(c.id)));
    for (const uid of await this.volumes.podUids()) await this.volumes.cleanup(uid);
    await this.runtime.removePodNetwork();
  }
}
