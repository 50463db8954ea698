// The scheduling framework's extension points (after Kubernetes' pkg/scheduler/framework/interface.go).
// A plugin implements the points it takes part in; the registry lists every plugin with its factory.
// Scheduling a pod runs synchronously over the cache (one JavaScript turn), so plugins see a
// consistent view without snapshots; only binding is asynchronous.
import type { Node, StoredPod as Pod } from '../../../shared/kube/objects';
import type { NodeInfo } from '../internal/node-info';
import type { PodInfo } from '../internal/pod-info';
import type { Status } from './status';

export const MAX_NODE_SCORE = 100;

/** Per-cycle scratch space shared by one plugin's extension points (pre-filter computes, filter reads). */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

/** What the framework hands every plugin: read access to the cluster as the scheduler sees it. */
export interface FrameworkHandle {
  /** All nodes in the cache with a Node object (not placeholders). */
  nodes(): readonly NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
}

/** A cluster change that may make an unschedulable pod schedulable (queueing hints, coarse form). */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeDelete'
  | 'NodeAllocatable'
  | 'NodeLabel'
  | 'NodeTaint'
  | 'NodeSchedulable'
  | 'NodeCondition'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete';

export const ALL_CLUSTER_EVENTS: readonly ClusterEvent[] = [
  'NodeAdd',
  'NodeDelete',
  'NodeAllocatable',
  'NodeLabel',
  'NodeTaint',
  'NodeSchedulable',
  'NodeCondition',
  'AssignedPodAdd',
  'AssignedPodUpdate',
  'AssignedPodDelete',
];

export interface PluginBase {
  readonly name: string;
  /** Cluster events after which a pod this plugin rejected is worth another attempt. */
  readonly events?: readonly ClusterEvent[];
}

export interface QueueSortPlugin extends PluginBase {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterResult {
  /** When set, only these nodes can possibly pass (NodeName narrows to one). */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends PluginBase {
  /** Skip means the plugin has nothing to check for this pod: its filter is not run. */
  preFilter(state: CycleState, pod: PodInfo): { status: Status; result?: PreFilterResult };
}

export interface FilterPlugin extends PluginBase {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PostFilterPlugin extends PluginBase {
  /** Explains (here: does not act) after no node fit. Returns a message appended to the summary. */
  postFilter(
    state: CycleState,
    pod: PodInfo,
    filtered: ReadonlyMap<string, Status>,
    numAllNodes: number,
  ): string | undefined;
}

export interface PreScorePlugin extends PluginBase {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status;
}

export interface ScorePlugin extends PluginBase {
  /** 0..MAX_NODE_SCORE after normalization (raw scores may be any number if normalizeScore is given). */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: PodInfo, scores: Float64Array): void;
}

export interface ReservePlugin extends PluginBase {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface BindPlugin extends PluginBase {
  /** Skip lets the next bind plugin try. */
  bind(pod: Pod, nodeName: string): Promise<Status>;
}

export type Plugin = PluginBase &
  Partial<
    Pick<QueueSortPlugin, 'less'> &
      Pick<PreFilterPlugin, 'preFilter'> &
      Pick<FilterPlugin, 'filter'> &
      Pick<PostFilterPlugin, 'postFilter'> &
      Pick<PreScorePlugin, 'preScore'> &
      Pick<ScorePlugin, 'score' | 'normalizeScore'> &
      Pick<ReservePlugin, 'reserve' | 'unreserve'> &
      Pick<BindPlugin, 'bind'>
  >;

export type ExtensionPoint =
  'queueSort' | 'preFilter' | 'filter' | 'postFilter' | 'preScore' | 'score' | 'reserve' | 'bind';

/** What a factory gets: the framework handle plus services a plugin may need (the bind plugin's client). */
export interface PluginContext {
  handle: FrameworkHandle;
  bindPod?: (pod: Pod, nodeName: string) => Promise<void>;
}

export interface PluginFactory {
  readonly name: string;
  /** The extension points the plugin implements (checked against the instance at start). */
  readonly extensionPoints: readonly ExtensionPoint[];
  /** Default score weight (Kubernetes' default profile weights). */
  readonly weight?: number;
  create(ctx: PluginContext): Plugin;
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  pod: Pod;
  uid: string;
  /** When it first entered the queue (FIFO within a priority); kept across attempts. */
  initialAttemptTimestamp: number;
  /** When it last entered activeQ. */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it on its last attempt: only their events move it back. */
  unschedulablePlugins: Set<string>;
  /** Backoff expiry (ms since epoch per the queue's clock). */
  backoffExpiry?: number;
  /** The queue's scheduling cycle when this attempt began (to detect cluster events during it). */
  cycle: number;
}

export type { Node };
