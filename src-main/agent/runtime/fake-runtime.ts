// An in-memory ContainerRuntime for the sync logic's unit tests: containers change state only when
// the test says so (exit, crash), time comes from the test's clock, and every call is recorded.
import { Readable, PassThrough } from 'node:stream';
import type { Clock } from '../clock';
import { cidrContains, IpAllocator, parseCidr } from './ipam';
import { RuntimeError } from './types';
import type {
  ContainerConfig,
  ContainerRuntime,
  ContainerStats,
  ExecOptions,
  ExecResult,
  ExecSession,
  ImageInfo,
  LogOptions,
  PodNetworkInfo,
  PullProgress,
  RuntimeContainer,
  RuntimeEvent,
  SandboxConfig,
  SandboxHooks,
  Stoppable,
} from './types';

export interface FakeContainer extends RuntimeContainer {
  config?: ContainerConfig;
  sandboxConfig?: SandboxConfig;
}

export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Set<string>();
  /** Image → the error message a pull of it fails with. */
  readonly pullFailures = new Map<string, string>();
  /** Container name → the error its start fails with. */
  readonly startFailures = new Map<string, string>();
  /** When set, sandbox starts fail with this message (the sandbox is removed, as the real runtime does). */
  sandboxStartFailure?: string;
  readonly calls: string[] = [];
  /** Exec results by command (joined with spaces); default exit 0. */
  readonly execResults = new Map<string, ExecResult>();
  private readonly allocator: IpAllocator;
  private readonly cidr;
  private seq = 0;
  private listeners: ((e: RuntimeEvent) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    readonly podCidr = '10.244.0.0/24',
  ) {
    this.cidr = parseCidr(podCidr);
    this.allocator = new IpAllocator(this.cidr);
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private emit(id: string, action: RuntimeEvent['action']): void {
    const c = this.containers.get(id);
    for (const l of this.listeners) l({ containerId: id, action, ...(c ? { ref: c.ref } : {}) });
  }

  async ensurePodNetwork(): Promise<PodNetworkInfo> {
    return { name: 'fake', cidr: this.podCidr, gateway: '10.244.0.1', bridgeName: 'fake0' };
  }

  async removePodNetwork(): Promise<void> {
    if ([...this.containers.values()].some((c) => c.ip)) throw new RuntimeError('InUse', 'network in use');
  }

  async listContainers(filter: { podUid?: string } = {}): Promise<RuntimeContainer[]> {
    return [...this.containers.values()]
      .filter((c) => !filter.podUid || c.ref.podUid === filter.podUid)
      .map((c) => ({ ...c }));
  }

  async inspectContainer(id: string): Promise<RuntimeContainer | undefined> {
    const c = this.containers.get(id);
    return c ? { ...c } : undefined;
  }

  async runSandbox(config: SandboxConfig, hooks: SandboxHooks = {}): Promise<RuntimeContainer> {
    this.calls.push(`runSandbox ${config.ref.podName} ${config.ref.attempt}`);
    const used = [...this.containers.values()]
      .filter((c) => c.state === 'running' && c.ip)
      .map((c) => c.ip as string);
    const ip = this.allocator.allocate(used);
    this.allocator.release(ip);
    if (!cidrContains(this.cidr, ip)) throw new Error('ip outside cidr');
    const id = `sandbox-${++this.seq}`;
    const c: FakeContainer = {
      id,
      ref: config.ref,
      specHash: '',
      image: 'flotilla.local/pause:fake',
      imageId: 'sha256:pause',
      state: 'created',
      createdAt: this.iso(),
      oomKilled: false,
      gracePeriodSeconds: config.gracePeriodSeconds,
      ip,
      sandboxConfig: config,
    };
    this.containers.set(id, c);
    await hooks.onCreated?.({ id, ip }).catch(() => undefined);
    if (this.sandboxStartFailure) {
      this.containers.delete(id);
      throw new RuntimeError('StartFailed', this.sandboxStartFailure);
    }
    c.state = 'running';
    c.startedAt = this.iso();
    this.emit(id, 'start');
    return { ...c };
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    if (!this.images.has(config.image))
      throw new RuntimeError('ImageNotFound', `No such image: ${config.image}`);
    const id = `c-${config.ref.containerName}-${config.ref.attempt}-${++this.seq}`;
    this.calls.push(`create ${config.ref.podName}/${config.ref.containerName} ${config.ref.attempt}`);
    this.containers.set(id, {
      id,
      ref: config.ref,
      specHash: config.specHash,
      image: config.image,
      imageId: `sha256:${config.image}`,
      state: 'created',
      createdAt: this.iso(),
      oomKilled: false,
      gracePeriodSeconds: config.gracePeriodSeconds,
      sandboxId,
      config,
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.mustGet(id);
    this.calls.push(`start ${c.ref.podName}/${c.ref.containerName} ${c.ref.attempt}`);
    const failure = this.startFailures.get(c.ref.containerName);
    if (failure) {
      c.state = 'exited';
      c.exitCode = 128;
      c.error = failure;
      c.finishedAt = this.iso();
      throw new RuntimeError('StartFailed', failure);
    }
    c.state = 'running';
    c.startedAt = this.iso();
    this.emit(id, 'start');
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') return;
    this.calls.push(`stop ${c.ref.podName}/${c.ref.containerName || 'sandbox'} grace=${gracePeriodSeconds}`);
    this.finish(c, c.ref.kind === 'sandbox' ? 0 : 137);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`remove ${c.ref.podName}/${c.ref.containerName || 'sandbox'} ${c.ref.attempt}`);
    this.containers.delete(id);
  }

  async imagePresent(ref: string): Promise<ImageInfo | undefined> {
    return this.images.has(ref) ? { id: `sha256:${ref}`, tags: [ref], sizeBytes: 1 } : undefined;
  }

  async pullImage(ref: string, onProgress?: (p: PullProgress) => void): Promise<void> {
    this.calls.push(`pull ${ref}`);
    const failure = this.pullFailures.get(ref);
    if (failure) throw new RuntimeError('ImagePullFailed', `failed to pull image "${ref}": ${failure}`);
    onProgress?.({ status: 'Pull complete' });
    this.images.add(ref);
  }

  async loadImage(): Promise<string[]> {
    return [];
  }

  async logs(id: string, _options: LogOptions): Promise<Readable> {
    this.mustGet(id);
    return Readable.from([Buffer.from(`logs of ${id}\n`)]);
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const result = await this.execCapture(id, options.command, 1000);
    const stdout = new PassThrough();
    stdout.end(result.output);
    const stderr = new PassThrough();
    stderr.end();
    return {
      stdin: new PassThrough(),
      stdout,
      stderr,
      resize: async () => undefined,
      exitCode: async () => result.exitCode,
      close: () => undefined,
    };
  }

  async execCapture(id: string, command: string[], _timeoutMs?: number): Promise<ExecResult> {
    this.mustGet(id);
    return this.execResults.get(command.join(' ')) ?? { exitCode: 0, output: '' };
  }

  async stats(id: string): Promise<ContainerStats> {
    this.mustGet(id);
    return { cpuUsageNanos: 0, memoryUsageBytes: 0, memoryWorkingSetBytes: 0, timestamp: this.iso() };
  }

  watchEvents(onEvent: (event: RuntimeEvent) => void): Stoppable {
    this.listeners.push(onEvent);
    return { stop: () => (this.listeners = this.listeners.filter((l) => l !== onEvent)) };
  }

  // ------------------------------------------------------------------------- test controls

  /** The newest instance of a pod's container. */
  latest(podName: string, containerName: string): FakeContainer | undefined {
    return [...this.containers.values()]
      .filter(
        (c) => c.ref.podName === podName && c.ref.containerName === containerName && c.ref.kind !== 'sandbox',
      )
      .sort((a, b) => b.ref.attempt - a.ref.attempt)[0];
  }

  sandboxOf(podName: string): FakeContainer | undefined {
    return [...this.containers.values()]
      .filter((c) => c.ref.podName === podName && c.ref.kind === 'sandbox')
      .sort((a, b) => b.ref.attempt - a.ref.attempt)[0];
  }

  /** Makes a running container exit with a code (as if its process ended). */
  exit(id: string, exitCode: number, options: { oomKilled?: boolean } = {}): void {
    const c = this.mustGet(id);
    this.finish(c, exitCode, options.oomKilled);
  }

  private finish(c: FakeContainer, exitCode: number, oomKilled = false): void {
    c.state = 'exited';
    c.exitCode = exitCode;
    c.oomKilled = oomKilled;
    c.finishedAt = this.iso();
    if (c.ref.kind === 'sandbox') delete c.ip;
    this.emit(c.id, 'die');
  }

  private mustGet(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    return c;
  }
}
