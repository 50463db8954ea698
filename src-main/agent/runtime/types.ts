// The container runtime as the pod sync sees it: sandboxes on the pod network, containers that join
// a sandbox's network namespace, images, and the streams (logs, exec) and figures (stats) the API
// server proxies. Runtime-neutral on purpose: docker-runtime.ts implements it over the Docker engine,
// fake-runtime.ts in memory for the sync logic's unit tests.
//
// Everything the agent needs to rebuild its view after a restart lives in the containers' labels
// (labels.ts): the runtime persists nothing else.
import type { Readable, Writable } from 'node:stream';

export type ContainerKind = 'sandbox' | 'init' | 'app';

/** Who a container belongs to; carried as labels on every container the agent creates. */
export interface ContainerRef {
  podUid: string;
  podName: string;
  podNamespace: string;
  kind: ContainerKind;
  /** The pod's container name ('' for a sandbox). */
  containerName: string;
  /** 0 for the first instance; restartCount = attempt of the newest instance. */
  attempt: number;
}

export type ContainerRunState = 'created' | 'running' | 'exited' | 'unknown';

/** A container as found in the runtime. Times are RFC 3339 strings; absent when Docker says "never". */
export interface RuntimeContainer {
  id: string;
  ref: ContainerRef;
  /** Hash of the container's spec at creation; a change means the container must be recreated. */
  specHash: string;
  image: string;
  imageId: string;
  state: ContainerRunState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** The kernel's OOM killer ended it. */
  oomKilled: boolean;
  /** Why the runtime could not start it (e.g. "exec: not found"). */
  error?: string;
  /** The grace period it was created with, for cleaning it up when its pod is gone. */
  gracePeriodSeconds: number;
  /** Sandboxes: the pod IP on the pod network. */
  ip?: string;
  /** Containers: the sandbox whose namespaces they joined. */
  sandboxId?: string;
}

export interface PortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  hostIP?: string;
}

export interface SandboxConfig {
  ref: ContainerRef;
  hostname: string;
  /** Published on the sandbox, since the pod's containers share its network namespace. */
  portMappings: PortMapping[];
  gracePeriodSeconds: number;
}

export interface SandboxHooks {
  /**
   * The sandbox exists (not yet started): the pod's containers can be created now, overlapping the
   * sandbox's start. Called again if the runtime retries with a new sandbox; rejections are ignored
   * (the caller records its own failures).
   */
  onCreated?: (sandbox: { id: string; ip: string }) => Promise<void>;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerConfig {
  ref: ContainerRef;
  specHash: string;
  image: string;
  /** Overrides the image's entrypoint (Kubernetes `command`). */
  entrypoint?: string[];
  /** Overrides the image's cmd (Kubernetes `args`). */
  cmd?: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  /** "uid" or "uid:gid". */
  user?: string;
  privileged: boolean;
  readOnlyRootfs: boolean;
  capAdd: string[];
  capDrop: string[];
  /** CPU limit in billionths of a CPU. */
  nanoCpus?: number;
  /** Relative CPU weight from the CPU request. */
  cpuShares?: number;
  memoryBytes?: number;
  mounts: Mount[];
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  gracePeriodSeconds: number;
}

export interface PodNetworkInfo {
  name: string;
  cidr: string;
  gateway: string;
  bridgeName: string;
}

export interface ImageInfo {
  id: string;
  tags: string[];
  sizeBytes: number;
}

/** One line of pull progress, as the engine reports it. */
export interface PullProgress {
  status: string;
  id?: string;
  current?: number;
  total?: number;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  /** Only lines newer than this (Unix seconds). kubectl's relative --since=N is now - N. */
  sinceUnixSeconds?: number;
  timestamps?: boolean;
  limitBytes?: number;
  signal?: AbortSignal;
}

export interface ExecOptions {
  command: string[];
  tty?: boolean;
  stdin?: boolean;
}

/** A running exec: write to stdin (end() closes the process's stdin), read stdout/stderr. */
export interface ExecSession {
  stdin: Writable;
  stdout: Readable;
  /** Empty with a TTY (the terminal merges both streams). */
  stderr: Readable;
  resize(columns: number, rows: number): Promise<void>;
  /** Resolves with the exit code once the process ended and its output was delivered. */
  exitCode(): Promise<number>;
  /** Ends the session (the process keeps running if it ignores the hang-up). */
  close(): void;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface ContainerStats {
  /** Cumulative CPU time used, nanoseconds. */
  cpuUsageNanos: number;
  /** Working set: usage minus inactive file cache, as kubelet reports it. */
  memoryWorkingSetBytes: number;
  memoryUsageBytes: number;
  timestamp: string;
}

export interface RuntimeEvent {
  containerId: string;
  ref?: ContainerRef;
  action: 'create' | 'start' | 'die' | 'oom' | 'destroy' | 'other';
}

export interface Stoppable {
  stop(): void;
}

export interface ContainerRuntime {
  /** Creates the pod network (a bridge whose subnet is the node's pod CIDR) if missing. Idempotent. */
  ensurePodNetwork(): Promise<PodNetworkInfo>;
  /** Removes the pod network (fails with code InUse while containers are attached). */
  removePodNetwork(): Promise<void>;

  /** This node's sandboxes and containers, running or not (only one pod's, given its UID). */
  listContainers(filter?: { podUid?: string }): Promise<RuntimeContainer[]>;
  inspectContainer(id: string): Promise<RuntimeContainer | undefined>;

  /**
   * Creates and starts a sandbox with a free IP from the pod CIDR (making the sandbox image if
   * needed). `hooks.onCreated` runs while the sandbox starts (once per attempt) and is awaited.
   */
  runSandbox(config: SandboxConfig, hooks?: SandboxHooks): Promise<RuntimeContainer>;
  /** Creates a container that joins the sandbox's network (and IPC) namespace. Returns its id. */
  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period. A stopped or missing container is fine. */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void>;
  /** Removes a container (killing it if it runs). A missing container is fine. */
  removeContainer(id: string): Promise<void>;

  imagePresent(ref: string): Promise<ImageInfo | undefined>;
  pullImage(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void>;
  /** Loads a `docker save` archive; returns the loaded image names. */
  loadImage(archive: Readable): Promise<string[]>;

  /** stdout and stderr merged in order, as `kubectl logs` shows them. */
  logs(id: string, options: LogOptions): Promise<Readable>;
  exec(id: string, options: ExecOptions): Promise<ExecSession>;
  /** Runs a command to completion (probes): output capped, killed from the agent's side on timeout. */
  execCapture(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  stats(id: string): Promise<ContainerStats>;

  /** Calls back on container lifecycle changes of this node's containers (to resync a pod at once). */
  watchEvents(onEvent: (event: RuntimeEvent) => void): Stoppable;
}

export type RuntimeErrorCode =
  | 'ImageNotFound'
  | 'ImagePullFailed'
  | 'ImagePullTimeout'
  | 'NoFreeIP'
  | 'NetworkConflict'
  | 'InUse'
  | 'NotFound'
  | 'ExecTimeout'
  | 'CreateFailed'
  | 'StartFailed'
  | 'EngineUnavailable'
  | 'Unsupported';

/** Every runtime failure the sync acts on is one of these, with a message fit for a user. */
export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export function isRuntimeError(err: unknown, code?: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && (code === undefined || err.code === code);
}
