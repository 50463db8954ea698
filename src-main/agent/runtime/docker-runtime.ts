// The ContainerRuntime over the Docker Engine API (dockerode): the pod network is a user-defined
// bridge whose subnet is the node's pod CIDR; a sandbox holds each pod's network namespace with an IP
// the agent picks; the pod's containers join it with `NetworkMode: container:<sandbox>`.
// Every call that changes the engine goes through one EngineLimiter (engine-limiter.ts): bounded and
// fair per pod, so churn cannot pile up enough concurrent network work to deadlock older engines.
import { Readable, PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import { containerCreateOptions, sandboxCreateOptions } from './docker-options';
import { demuxBuffer, DockerDemuxer, limitBytes, mergeMultiplexed } from './docker-streams';
import { EngineLimiter } from './engine-limiter';
import type { EngineLane } from './engine-limiter';
import { cidrContains, gatewayOf, IpAllocator, parseCidr } from './ipam';
import type { Ipv4Cidr } from './ipam';
import { LABEL, refFromLabels } from './labels';
import {
  pauseArchitecture,
  SANDBOX_IMAGE_CHANGES,
  sandboxImageArchive,
  sandboxImageName,
} from './sandbox-image';
import { RuntimeError } from './types';
import type {
  ContainerConfig,
  ContainerRunState,
  ContainerRuntime,
  ContainerStats,
  ExecOptions,
  ExecResult,
  ExecSession,
  ImageInfo,
  SandboxHooks,
  LogOptions,
  PodNetworkInfo,
  PullProgress,
  RuntimeContainer,
  RuntimeEvent,
  SandboxConfig,
  Stoppable,
} from './types';

export interface DockerRuntimeOptions {
  docker: Docker;
  nodeName: string;
  /** The node's spec.podCIDR, e.g. 10.244.0.0/24. */
  podCidr: string;
  /** Docker network name (default `flotilla-pods`). */
  networkName?: string;
  /** Linux bridge name, at most 15 characters (default `flotilla0`). */
  bridgeName?: string;
  /** A pull that reports no progress for this long is abandoned (default 120 s). */
  pullStallTimeoutMs?: number;
  /** At most this many changing engine calls at once (default 8), or a limiter shared with others. */
  engineConcurrency?: number | EngineLimiter;
}

export const DEFAULT_ENGINE_CONCURRENCY = 8;
/** The limiter key for calls that belong to no pod (the pod network). */
const NODE_KEY = '';

/** Docker's "zero time": the container never started / never finished. */
const ZERO_TIME = '0001-01-01T00:00:00Z';
const PROBE_OUTPUT_LIMIT = 10 * 1024;

interface DockerError {
  statusCode?: number;
  reason?: string;
  json?: { message?: string };
  message?: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as DockerError | undefined)?.statusCode;
}

/** The engine's own message ("No such image: …"), without dockerode's "(HTTP code 404) …" prefix. */
export function engineMessage(err: unknown): string {
  const e = err as DockerError | undefined;
  const fromJson = e?.json?.message;
  if (fromJson) return fromJson;
  const message = e?.message ?? String(err);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

function time(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-01-01') || value === ZERO_TIME) return undefined;
  return value;
}

function runState(status: string | undefined): ContainerRunState {
  switch (status) {
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    case 'created':
      return 'created';
    default:
      return 'unknown';
  }
}

export class DockerRuntime implements ContainerRuntime {
  readonly nodeName: string;
  readonly networkName: string;
  readonly bridgeName: string;
  private readonly docker: Docker;
  private readonly cidr: Ipv4Cidr;
  private readonly podCidr: string;
  private readonly allocator: IpAllocator;
  private readonly pullStallTimeoutMs: number;
  private networkReady?: Promise<PodNetworkInfo>;
  private sandboxImage?: Promise<string>;
  /** Inspect results by container id, reused while the container's state is unchanged. */
  private readonly inspectCache = new Map<string, { state: string; info: RuntimeContainer }>();
  /** Serializes "read the addresses in use, pick one" so concurrent sandboxes never pick the same. */
  private ipLock: Promise<unknown> = Promise.resolve();
  readonly limiter: EngineLimiter;
  /** Container id → its pod's UID, so calls by id queue with the rest of their pod's work. */
  private readonly podOf = new Map<string, string>();
  /** The image's STOPSIGNAL where it is not SIGTERM (from inspect). */
  private readonly stopSignals = new Map<string, string>();

  constructor(options: DockerRuntimeOptions) {
    this.docker = options.docker;
    this.nodeName = options.nodeName;
    this.podCidr = options.podCidr;
    this.cidr = parseCidr(options.podCidr);
    this.allocator = new IpAllocator(this.cidr);
    this.networkName = options.networkName ?? 'flotilla-pods';
    this.bridgeName = options.bridgeName ?? 'flotilla0';
    if (this.bridgeName.length > 15) {
      throw new RuntimeError(
        'NetworkConflict',
        `bridge name "${this.bridgeName}" is longer than 15 characters`,
      );
    }
    this.pullStallTimeoutMs = options.pullStallTimeoutMs ?? 120_000;
    const limit = options.engineConcurrency ?? DEFAULT_ENGINE_CONCURRENCY;
    this.limiter = limit instanceof EngineLimiter ? limit : new EngineLimiter(limit);
  }

  /** Runs an engine call that changes something, in its pod's turn (see engine-limiter.ts). */
  private gated<T>(idOrKey: string, lane: EngineLane, call: () => Promise<T>): Promise<T> {
    return this.limiter.run(this.podOf.get(idOrKey) ?? idOrKey, lane, call);
  }

  // ------------------------------------------------------------------------------------ network

  ensurePodNetwork(): Promise<PodNetworkInfo> {
    this.networkReady ??= this.createNetworkIfMissing().catch((err: unknown) => {
      this.networkReady = undefined;
      throw err;
    });
    return this.networkReady;
  }

  private async createNetworkIfMissing(): Promise<PodNetworkInfo> {
    const info: PodNetworkInfo = {
      name: this.networkName,
      cidr: this.podCidr,
      gateway: gatewayOf(this.cidr),
      bridgeName: this.bridgeName,
    };
    const existing = await this.inspectNetwork();
    if (existing) {
      const subnet = existing.IPAM?.Config?.[0]?.Subnet;
      if (subnet === this.podCidr) return info;
      if (Object.keys(existing.Containers ?? {}).length > 0) {
        throw new RuntimeError(
          'NetworkConflict',
          `network ${this.networkName} has subnet ${subnet ?? 'none'}, not the node's pod CIDR ${this.podCidr}, and containers are attached`,
        );
      }
      await this.gated(NODE_KEY, 'teardown', () => this.docker.getNetwork(this.networkName).remove());
    }
    try {
      await this.gated(NODE_KEY, 'setup', () =>
        this.docker.createNetwork({
          Name: this.networkName,
          Driver: 'bridge',
          CheckDuplicate: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: this.podCidr, Gateway: info.gateway }] },
          Options: { 'com.docker.network.bridge.name': this.bridgeName },
          Labels: { [LABEL.node]: this.nodeName },
        }),
      );
    } catch (err) {
      // Another agent process (or a concurrent call) won the race: fine if it is the same network.
      const again = await this.inspectNetwork();
      if (again?.IPAM?.Config?.[0]?.Subnet === this.podCidr) return info;
      throw new RuntimeError(
        'NetworkConflict',
        `cannot create pod network ${this.networkName}: ${engineMessage(err)}`,
        err,
      );
    }
    return info;
  }

  private async inspectNetwork(): Promise<Docker.NetworkInspectInfo | undefined> {
    try {
      return (await this.docker.getNetwork(this.networkName).inspect()) as Docker.NetworkInspectInfo;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.engineError(err);
    }
  }

  async removePodNetwork(): Promise<void> {
    this.networkReady = undefined;
    try {
      await this.gated(NODE_KEY, 'teardown', () => this.docker.getNetwork(this.networkName).remove());
    } catch (err) {
      if (statusOf(err) === 404) return;
      if (statusOf(err) === 403 || statusOf(err) === 409) {
        throw new RuntimeError(
          'InUse',
          `pod network ${this.networkName} still has containers: ${engineMessage(err)}`,
          err,
        );
      }
      throw this.engineError(err);
    }
  }

  // --------------------------------------------------------------------------------- containers

  async listContainers(filter: { podUid?: string } = {}): Promise<RuntimeContainer[]> {
    let summaries: Docker.ContainerInfo[];
    const labels = [`${LABEL.node}=${this.nodeName}`];
    if (filter.podUid) labels.push(`${LABEL.podUid}=${filter.podUid}`);
    try {
      summaries = await this.docker.listContainers({ all: true, filters: { label: labels } });
    } catch (err) {
      throw this.engineError(err);
    }
    const seen = new Set<string>();
    const result = await Promise.all(
      summaries.map(async (s) => {
        if (!refFromLabels(s.Labels)) return undefined;
        seen.add(s.Id);
        const uid = s.Labels?.[LABEL.podUid];
        if (uid) this.podOf.set(s.Id, uid);
        const cached = this.inspectCache.get(s.Id);
        if (cached && cached.state === s.State) return cached.info;
        const info = await this.inspectContainer(s.Id);
        if (info) this.inspectCache.set(s.Id, { state: s.State, info });
        return info;
      }),
    );
    if (!filter.podUid) {
      for (const id of this.inspectCache.keys()) if (!seen.has(id)) this.inspectCache.delete(id);
      for (const id of this.podOf.keys()) if (!seen.has(id)) this.podOf.delete(id);
    }
    return result.filter((c): c is RuntimeContainer => c !== undefined);
  }

  async inspectContainer(id: string): Promise<RuntimeContainer | undefined> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.engineError(err);
    }
    const labels = info.Config.Labels ?? {};
    const ref = refFromLabels(labels);
    if (!ref) return undefined;
    this.podOf.set(info.Id, ref.podUid);
    // The image's STOPSIGNAL (the engine reports it; dockerode's types leave it out).
    const stopSignal = (info.Config as { StopSignal?: string }).StopSignal;
    if (stopSignal) this.stopSignals.set(info.Id, stopSignal);
    const state = info.State;
    const exited = runState(state.Status) === 'exited';
    const container: RuntimeContainer = {
      id: info.Id,
      ref,
      specHash: labels[LABEL.specHash] ?? '',
      image: info.Config.Image,
      imageId: info.Image,
      state: runState(state.Status),
      createdAt: info.Created,
      oomKilled: state.OOMKilled,
      gracePeriodSeconds: Number(labels[LABEL.gracePeriod] ?? 30) || 0,
    };
    const startedAt = time(state.StartedAt);
    const finishedAt = time(state.FinishedAt);
    if (startedAt) container.startedAt = startedAt;
    if (finishedAt && exited) container.finishedAt = finishedAt;
    if (exited) container.exitCode = state.ExitCode;
    if (state.Error) container.error = state.Error;
    const ip = info.NetworkSettings?.Networks?.[this.networkName]?.IPAddress;
    if (ip) container.ip = ip;
    const mode = info.HostConfig?.NetworkMode ?? '';
    if (mode.startsWith('container:')) container.sandboxId = mode.slice('container:'.length);
    return container;
  }

  async runSandbox(config: SandboxConfig, hooks: SandboxHooks = {}): Promise<RuntimeContainer> {
    const [, image] = await Promise.all([this.ensurePodNetwork(), this.ensureSandboxImage()]);
    let lastError: unknown;
    // Docker rejects an address in use; another engine user may have taken one since we looked.
    for (let tries = 0; tries < 3; tries++) {
      const ip = await this.pickIp();
      try {
        const options = sandboxCreateOptions(config, {
          nodeName: this.nodeName,
          image,
          networkName: this.networkName,
          ip,
        });
        const id = await this.create(options);
        const createdAt = new Date().toISOString();
        // The pod's containers need only the sandbox's id to be created: that overlaps the start,
        // the slowest step of a pod (network endpoint, DNS resolver, runc).
        const alongside = Promise.resolve()
          .then(() => hooks.onCreated?.({ id, ip }))
          .catch(() => undefined);
        try {
          await this.startContainer(id);
        } catch (err) {
          await alongside;
          await this.removeContainer(id).catch(() => undefined);
          throw err;
        }
        await alongside;
        // What the start just established; the next listing inspects it for the full picture, so
        // no inspect here (one engine round trip less on every pod's start).
        return {
          id,
          ref: config.ref,
          specHash: '',
          image,
          imageId: '',
          state: 'running',
          createdAt,
          startedAt: new Date().toISOString(),
          oomKilled: false,
          gracePeriodSeconds: config.gracePeriodSeconds,
          ip,
        };
      } catch (err) {
        lastError = err;
        if (!/address already in use/i.test(engineMessage(err))) throw err;
      } finally {
        this.allocator.release(ip);
      }
    }
    throw lastError;
  }

  private pickIp(): Promise<string> {
    const next = this.ipLock.then(async () => {
      const network = await this.inspectNetwork();
      const used = Object.values(network?.Containers ?? {})
        .map((c) => c.IPv4Address?.split('/')[0])
        .filter((ip): ip is string => !!ip && cidrContains(this.cidr, ip));
      return this.allocator.allocate(used);
    });
    this.ipLock = next.catch(() => undefined);
    return next;
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    return this.create(containerCreateOptions(config, { nodeName: this.nodeName, sandboxId }));
  }

  /** Creates a container; a leftover with the same name (same pod, container and attempt) is replaced. */
  private async create(options: Docker.ContainerCreateOptions): Promise<string> {
    const podUid = options.Labels?.[LABEL.podUid] ?? options.name ?? '';
    for (let tries = 0; ; tries++) {
      try {
        const container = await this.gated(podUid, 'setup', () => this.docker.createContainer(options));
        this.podOf.set(container.id, podUid);
        return container.id;
      } catch (err) {
        const status = statusOf(err);
        if (status === 409 && tries === 0 && options.name) {
          await this.removeContainer(options.name);
          continue;
        }
        if (status === 404 && /image/i.test(engineMessage(err))) {
          throw new RuntimeError('ImageNotFound', engineMessage(err), err);
        }
        throw new RuntimeError('CreateFailed', engineMessage(err), err);
      }
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.gated(id, 'setup', () => this.docker.getContainer(id).start());
    } catch (err) {
      if (statusOf(err) === 304) return; // already running
      throw new RuntimeError('StartFailed', engineMessage(err), err);
    }
  }

  /**
   * What `docker stop` does, in parts: the stop signal, a wait of up to the grace period, then
   * SIGKILL. Only the signals take a turn at the engine limiter: a long grace period must not hold
   * a slot that other pods' starts and removals need.
   */
  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const grace = Math.max(0, Math.floor(gracePeriodSeconds));
    if (grace > 0) {
      if (!(await this.signal(id, this.stopSignals.get(id) ?? 'SIGTERM'))) return;
      if (await this.waitForExit(id, grace * 1000)) return;
    }
    if (!(await this.signal(id, 'SIGKILL'))) return;
    // SIGKILL cannot be ignored; the wait only bounds an engine that lost track of the process.
    await this.waitForExit(id, 30_000);
  }

  /** Sends a signal; false when the container is not running (or gone). */
  private async signal(id: string, signal: string): Promise<boolean> {
    try {
      await this.gated(id, 'teardown', () => this.docker.getContainer(id).kill({ signal }));
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 304 || status === 404 || status === 409) return false;
      throw this.engineError(err);
    }
  }

  /** Whether the container stopped running within `ms`. */
  private async waitForExit(id: string, ms: number): Promise<boolean> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ms);
    try {
      await this.docker.getContainer(id).wait({ condition: 'not-running', abortSignal: abort.signal });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return true;
      if (abort.signal.aborted) return false;
      throw this.engineError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.gated(id, 'teardown', () => this.docker.getContainer(id).remove({ force: true, v: true }));
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return this.forget(id);
      if (status === 409 && /already in progress/i.test(engineMessage(err))) return;
      throw this.engineError(err);
    }
    this.forget(id);
  }

  private forget(id: string): void {
    this.inspectCache.delete(id);
    this.podOf.delete(id);
    this.stopSignals.delete(id);
  }

  // ------------------------------------------------------------------------------------- images

  async imagePresent(ref: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return { id: info.Id, tags: info.RepoTags ?? [], sizeBytes: info.Size };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.engineError(err);
    }
  }

  async pullImage(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort();
    signal?.addEventListener('abort', onOuterAbort);
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.pull(ref, { abortSignal: abort.signal })) as NodeJS.ReadableStream;
    } catch (err) {
      signal?.removeEventListener('abort', onOuterAbort);
      throw new RuntimeError('ImagePullFailed', `failed to pull image "${ref}": ${engineMessage(err)}`, err);
    }
    try {
      await new Promise<void>((resolve, reject) => {
        let stall: NodeJS.Timeout | undefined;
        const armStall = () => {
          clearTimeout(stall);
          stall = setTimeout(() => {
            abort.abort();
            reject(
              new RuntimeError(
                'ImagePullTimeout',
                `failed to pull image "${ref}": no progress for ${Math.round(this.pullStallTimeoutMs / 1000)} s`,
              ),
            );
          }, this.pullStallTimeoutMs);
        };
        armStall();
        let failure: RuntimeError | undefined;
        forEachJsonLine(stream, (line) => {
          armStall();
          const msg = line as {
            status?: string;
            id?: string;
            error?: string;
            progressDetail?: { current?: number; total?: number };
          };
          if (msg.error) {
            failure ??= new RuntimeError('ImagePullFailed', `failed to pull image "${ref}": ${msg.error}`);
            return;
          }
          if (msg.status && onProgress) {
            const p: PullProgress = { status: msg.status };
            if (msg.id) p.id = msg.id;
            if (msg.progressDetail?.current !== undefined) p.current = msg.progressDetail.current;
            if (msg.progressDetail?.total !== undefined) p.total = msg.progressDetail.total;
            onProgress(p);
          }
        }).then(
          () => {
            clearTimeout(stall);
            if (failure) reject(failure);
            else if (abort.signal.aborted)
              reject(new RuntimeError('ImagePullFailed', `pull of "${ref}" was cancelled`));
            else resolve();
          },
          (err: unknown) => {
            clearTimeout(stall);
            reject(
              failure ??
                new RuntimeError(
                  'ImagePullFailed',
                  `failed to pull image "${ref}": ${engineMessage(err)}`,
                  err,
                ),
            );
          },
        );
      });
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  async loadImage(archive: Readable): Promise<string[]> {
    let response: NodeJS.ReadableStream;
    try {
      response = (await this.docker.loadImage(archive, { quiet: true })) as NodeJS.ReadableStream;
    } catch (err) {
      throw new RuntimeError('ImagePullFailed', `cannot load image archive: ${engineMessage(err)}`, err);
    }
    const loaded: string[] = [];
    let error: string | undefined;
    await forEachJsonLine(response, (line) => {
      const msg = line as { stream?: string; error?: string };
      if (msg.error) error ??= msg.error;
      const m = /Loaded image(?: ID)?: (\S+)/.exec(msg.stream ?? '');
      if (m?.[1]) loaded.push(m[1]);
    });
    if (error) throw new RuntimeError('ImagePullFailed', `cannot load image archive: ${error}`);
    return loaded;
  }

  /** Makes the sandbox image from the embedded pause binary the first time it is needed. */
  ensureSandboxImage(): Promise<string> {
    this.sandboxImage ??= (async () => {
      const version = await this.docker.version();
      const arch = pauseArchitecture(version.Arch);
      const name = sandboxImageName(arch);
      if (await this.imagePresent(name)) return name;
      const [repo, tag] = name.split(':') as [string, string];
      const response = (await this.docker.importImage(Readable.from([sandboxImageArchive(arch)]), {
        repo,
        tag,
        changes: SANDBOX_IMAGE_CHANGES,
      } as object)) as NodeJS.ReadableStream;
      let error: string | undefined;
      await forEachJsonLine(response, (line) => {
        error ??= (line as { error?: string }).error;
      });
      if (error || !(await this.imagePresent(name))) {
        throw new RuntimeError(
          'CreateFailed',
          `cannot make the sandbox image ${name}: ${error ?? 'not found after import'}`,
        );
      }
      return name;
    })().catch((err: unknown) => {
      this.sandboxImage = undefined;
      throw err;
    });
    return this.sandboxImage;
  }

  // ------------------------------------------------------------------------------------ streams

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const container = this.docker.getContainer(id);
    let tty: boolean;
    try {
      tty = (await container.inspect()).Config.Tty;
    } catch (err) {
      if (statusOf(err) === 404) throw new RuntimeError('NotFound', `container ${id} not found`, err);
      throw this.engineError(err);
    }
    const query = {
      stdout: true,
      stderr: true,
      timestamps: options.timestamps ?? false,
      ...(options.tailLines !== undefined && options.tailLines >= 0 ? { tail: options.tailLines } : {}),
      since: options.sinceUnixSeconds ?? 0,
      ...(options.signal ? { abortSignal: options.signal } : {}),
    };
    let out: Readable;
    if (options.follow) {
      const raw = (await container.logs({ ...query, follow: true })) as unknown as Readable;
      out = tty ? raw : mergeMultiplexed(raw);
    } else {
      const buffer = (await container.logs({ ...query, follow: false })) as unknown as Buffer;
      out = Readable.from([tty ? buffer : demuxBuffer(buffer)]);
    }
    return options.limitBytes !== undefined && options.limitBytes > 0
      ? limitBytes(out, options.limitBytes)
      : out;
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const tty = options.tty ?? false;
    const attachStdin = options.stdin ?? false;
    let exec: Docker.Exec;
    try {
      exec = await this.docker.getContainer(id).exec({
        Cmd: options.command,
        AttachStdin: attachStdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: tty,
      });
    } catch (err) {
      if (statusOf(err) === 404) throw new RuntimeError('NotFound', `container ${id} not found`, err);
      if (statusOf(err) === 409) throw new RuntimeError('StartFailed', engineMessage(err), err);
      throw this.engineError(err);
    }
    const socket = await exec.start({ hijack: true, stdin: attachStdin, Tty: tty });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let outputDone: Promise<void>;
    if (tty) {
      socket.pipe(stdout);
      stderr.end();
      outputDone = new Promise((resolve) => socket.on('end', resolve).on('close', resolve));
    } else {
      const demux = new DockerDemuxer((type, payload) => (type === 2 ? stderr : stdout).write(payload));
      outputDone = new Promise((resolve) => {
        socket.pipe(demux).on('finish', () => {
          stdout.end();
          stderr.end();
          resolve();
        });
        socket.on('close', resolve);
      });
      demux.resume();
    }
    socket.on('error', (err) => {
      stdout.destroy(err);
      stderr.destroy(err);
    });
    const stdin = new PassThrough();
    if (attachStdin) {
      stdin.pipe(socket, { end: false });
      // end() on stdin half-closes the connection: the engine then closes the process's stdin.
      stdin.on('end', () => {
        const s = socket as unknown as { end(): void; writable?: boolean };
        if (s.writable !== false) s.end();
      });
    } else {
      stdin.resume();
    }
    const docker = exec;
    return {
      stdin,
      stdout,
      stderr,
      resize: async (columns, rows) => {
        await docker.resize({ w: columns, h: rows });
      },
      exitCode: async () => {
        await outputDone;
        // The engine may report Running for a moment after the stream ends.
        for (let i = 0; i < 50; i++) {
          const info = await docker.inspect();
          if (!info.Running) return info.ExitCode ?? -1;
          await new Promise((r) => setTimeout(r, 20));
        }
        return -1;
      },
      close: () => socket.destroy(),
    };
  }

  async execCapture(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const session = await this.exec(id, { command });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < PROBE_OUTPUT_LIMIT)
        output += chunk.toString('utf8').slice(0, PROBE_OUTPUT_LIMIT - output.length);
    };
    session.stdout.on('data', collect);
    session.stderr.on('data', collect);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        session.close();
        reject(new RuntimeError('ExecTimeout', `command timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const exitCode = await Promise.race([session.exitCode(), timeout]);
      return { exitCode, output };
    } finally {
      clearTimeout(timer);
    }
  }

  async stats(id: string): Promise<ContainerStats> {
    let s: Docker.ContainerStats;
    try {
      s = await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true });
    } catch (err) {
      if (statusOf(err) === 404) throw new RuntimeError('NotFound', `container ${id} not found`, err);
      throw this.engineError(err);
    }
    const mem = s.memory_stats ?? ({} as Docker.MemoryStats);
    const detail = (mem.stats ?? {}) as unknown as Record<string, number | undefined>;
    const usage = mem.usage ?? 0;
    // cgroup v1 reports total_inactive_file, v2 inactive_file; the working set excludes that cache.
    const inactive = detail.total_inactive_file ?? detail.inactive_file ?? 0;
    return {
      cpuUsageNanos: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
      memoryUsageBytes: usage,
      memoryWorkingSetBytes: Math.max(0, usage - inactive),
      timestamp: s.read,
    };
  }

  watchEvents(onEvent: (event: RuntimeEvent) => void): Stoppable {
    let stopped = false;
    let current: NodeJS.ReadableStream | undefined;
    let retry: NodeJS.Timeout | undefined;
    let delay = 500;
    const connect = async () => {
      if (stopped) return;
      try {
        const stream = (await this.docker.getEvents({
          filters: { type: ['container'], label: [`${LABEL.node}=${this.nodeName}`] },
        })) as NodeJS.ReadableStream;
        current = stream;
        delay = 500;
        if (stopped) return (stream as unknown as Readable).destroy();
        await forEachJsonLine(stream, (line) => {
          const e = line as {
            Action?: string;
            Actor?: { ID?: string; Attributes?: Record<string, string> };
            id?: string;
          };
          const containerId = e.Actor?.ID ?? e.id;
          if (!containerId) return;
          const action = (e.Action ?? '').split(':')[0] ?? '';
          const known = ['create', 'start', 'die', 'oom', 'destroy'] as const;
          const event: RuntimeEvent = {
            containerId,
            action: (known as readonly string[]).includes(action)
              ? (action as RuntimeEvent['action'])
              : 'other',
          };
          const ref = refFromLabels(e.Actor?.Attributes);
          if (ref) event.ref = ref;
          onEvent(event);
        });
      } catch {
        // The engine restarted or the connection dropped: reconnect below.
      }
      if (!stopped) {
        retry = setTimeout(() => void connect(), delay);
        delay = Math.min(delay * 2, 10_000);
      }
    };
    void connect();
    return {
      stop: () => {
        stopped = true;
        clearTimeout(retry);
        (current as unknown as Readable | undefined)?.destroy();
      },
    };
  }

  private engineError(err: unknown): RuntimeError {
    if (err instanceof RuntimeError) return err;
    const code = (err as { code?: string } | undefined)?.code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES') {
      return new RuntimeError(
        'EngineUnavailable',
        `cannot reach the Docker engine: ${engineMessage(err)}`,
        err,
      );
    }
    return new RuntimeError(statusOf(err) === 404 ? 'NotFound' : 'CreateFailed', engineMessage(err), err);
  }
}

/** Calls `onLine` with each JSON line of an engine response stream; resolves when it ends. */
export function forEachJsonLine(
  stream: NodeJS.ReadableStream,
  onLine: (value: unknown) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let buffered = '';
    const emit = (text: string) => {
      const trimmed = text.trim();
      if (!trimmed) return;
      try {
        onLine(JSON.parse(trimmed));
      } catch {
        // not JSON: ignore (the engine only sends JSON lines here)
      }
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        emit(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      emit(buffered + decoder.end());
      resolve();
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
  });
}
