// Instantiates the enabled plugins and runs each extension point over them, in registry order.
import type { StoredPod as Pod } from '../../../shared/kube/objects';
import type { NodeInfo } from '../internal/node-info';
import type { PodInfo } from '../internal/pod-info';
import type { Status } from './status';
import { SUCCESS, errorStatus, isRejection } from './status';
import type {
  BindPlugin,
  ClusterEvent,
  CycleState,
  ExtensionPoint,
  FilterPlugin,
  Plugin,
  PluginContext,
  PluginFactory,
  PostFilterPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  QueuedPodInfo,
  ReservePlugin,
  ScorePlugin,
} from './types';
import { ALL_CLUSTER_EVENTS } from './types';

export class FrameworkError extends Error {
  constructor(
    readonly code: 'PluginMissingExtensionPoint' | 'NoQueueSort' | 'DuplicatePlugin',
    message: string,
  ) {
    super(message);
    this.name = 'FrameworkError';
  }
}

const METHODS: Record<ExtensionPoint, (keyof Plugin)[]> = {
  queueSort: ['less'],
  preFilter: ['preFilter'],
  filter: ['filter'],
  postFilter: ['postFilter'],
  preScore: ['preScore'],
  score: ['score'],
  reserve: ['reserve', 'unreserve'],
  bind: ['bind'],
};

export interface PreFilterOutcome {
  /** Success, or the rejecting status (with its plugin). */
  status: Status;
  /** Plugins whose pre-filter said Skip: their filters are not run for this pod. */
  skipped: Set<string>;
  /** The intersection of the plugins' node-name narrowing, if any. */
  nodeNames?: Set<string>;
}

export interface ScoreOutcome {
  plugins: string[];
  weights: number[];
  /** Normalized, unweighted score of each plugin for each node (plugin-major, index by node). */
  perPlugin: Float64Array[];
  /** Weighted sum per node. */
  totals: Float64Array;
}

export class Framework {
  readonly queueSort: QueueSortPlugin;
  private readonly preFilters: PreFilterPlugin[] = [];
  private readonly filters: FilterPlugin[] = [];
  private readonly postFilters: PostFilterPlugin[] = [];
  private readonly preScores: PreScorePlugin[] = [];
  private readonly scorers: { plugin: ScorePlugin; weight: number }[] = [];
  private readonly reservers: ReservePlugin[] = [];
  private readonly binders: BindPlugin[] = [];
  /** For each plugin, the cluster events that may undo its rejection. */
  readonly pluginEvents = new Map<string, ReadonlySet<ClusterEvent>>();

  constructor(factories: readonly PluginFactory[], ctx: PluginContext, weights: Record<string, number> = {}) {
    let sort: QueueSortPlugin | undefined;
    const seen = new Set<string>();
    for (const f of factories) {
      if (seen.has(f.name)) throw new FrameworkError('DuplicatePlugin', `plugin ${f.name} is listed twice`);
      seen.add(f.name);
      const p = f.create(ctx);
      for (const point of f.extensionPoints) {
        for (const m of METHODS[point]) {
          if (typeof p[m] !== 'function') {
            throw new FrameworkError(
              'PluginMissingExtensionPoint',
              `plugin ${f.name} declares ${point} but has no ${String(m)}()`,
            );
          }
        }
      }
      const has = (point: ExtensionPoint) => f.extensionPoints.includes(point);
      if (has('queueSort')) sort = p as QueueSortPlugin;
      if (has('preFilter')) this.preFilters.push(p as PreFilterPlugin);
      if (has('filter')) this.filters.push(p as FilterPlugin);
      if (has('postFilter')) this.postFilters.push(p as PostFilterPlugin);
      if (has('preScore')) this.preScores.push(p as PreScorePlugin);
      if (has('score'))
        this.scorers.push({ plugin: p as ScorePlugin, weight: weights[f.name] ?? f.weight ?? 1 });
      if (has('reserve')) this.reservers.push(p as ReservePlugin);
      if (has('bind')) this.binders.push(p as BindPlugin);
      this.pluginEvents.set(f.name, new Set(p.events ?? ALL_CLUSTER_EVENTS));
    }
    if (!sort) throw new FrameworkError('NoQueueSort', 'exactly one queue sort plugin must be enabled');
    this.queueSort = sort;
  }

  less = (a: QueuedPodInfo, b: QueuedPodInfo): boolean => this.queueSort.less(a, b);

  runPreFilter(state: CycleState, pod: PodInfo): PreFilterOutcome {
    const skipped = new Set<string>();
    let nodeNames: Set<string> | undefined;
    for (const p of this.preFilters) {
      const { status, result } = p.preFilter(state, pod);
      if (status.code === 'Skip') {
        skipped.add(p.name);
        continue;
      }
      if (status.code !== 'Success') return { status: { ...status, plugin: p.name }, skipped };
      if (result?.nodeNames) {
        nodeNames = nodeNames
          ? new Set([...nodeNames].filter((n) => result.nodeNames?.has(n)))
          : result.nodeNames;
      }
    }
    return { status: SUCCESS, skipped, nodeNames };
  }

  /** The filters to run for a pod: all but those whose pre-filter said Skip. */
  activeFilters(skipped: ReadonlySet<string>): readonly FilterPlugin[] {
    return skipped.size === 0 ? this.filters : this.filters.filter((f) => !skipped.has(f.name));
  }

  /** Runs the filters on one node and stops at the first rejection, as Kubernetes does. */
  runFilter(
    state: CycleState,
    pod: PodInfo,
    node: NodeInfo,
    skipped: ReadonlySet<string> | readonly FilterPlugin[],
  ): Status {
    const filters = Array.isArray(skipped)
      ? (skipped as readonly FilterPlugin[])
      : this.activeFilters(skipped as ReadonlySet<string>);
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i] as FilterPlugin;
      const s = f.filter(state, pod, node);
      if (s.code !== 'Success') return { ...s, plugin: f.name };
    }
    return SUCCESS;
  }

  runPostFilter(
    state: CycleState,
    pod: PodInfo,
    filtered: ReadonlyMap<string, Status>,
    numAllNodes: number,
  ): string | undefined {
    const parts: string[] = [];
    for (const p of this.postFilters) {
      const msg = p.postFilter(state, pod, filtered, numAllNodes);
      if (msg) parts.push(msg);
    }
    return parts.length > 0 ? parts.join(' ') : undefined;
  }

  runPreScore(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
  ): { status: Status; skipped: Set<string> } {
    const skipped = new Set<string>();
    for (const p of this.preScores) {
      const s = p.preScore(state, pod, nodes);
      if (s.code === 'Skip') skipped.add(p.name);
      else if (s.code !== 'Success') return { status: { ...s, plugin: p.name }, skipped };
    }
    return { status: SUCCESS, skipped };
  }

  runScore(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    skipped: ReadonlySet<string>,
  ): ScoreOutcome {
    const active = this.scorers.filter((s) => !skipped.has(s.plugin.name));
    const totals = new Float64Array(nodes.length);
    const perPlugin: Float64Array[] = [];
    for (const { plugin, weight } of active) {
      const scores = new Float64Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(state, pod, nodes[i] as NodeInfo);
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < nodes.length; i++)
        totals[i] = (totals[i] as number) + (scores[i] as number) * weight;
      perPlugin.push(scores);
    }
    return {
      plugins: active.map((s) => s.plugin.name),
      weights: active.map((s) => s.weight),
      perPlugin,
      totals,
    };
  }

  /** Reserve in order; on the first failure, unreserve everything (in reverse) and return it. */
  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status {
    for (let i = 0; i < this.reservers.length; i++) {
      const r = this.reservers[i] as ReservePlugin;
      const s = r.reserve(state, pod, nodeName);
      if (s.code !== 'Success') {
        this.runUnreserve(state, pod, nodeName);
        return { ...s, plugin: r.name };
      }
    }
    return SUCCESS;
  }

  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.reservers.length - 1; i >= 0; i--) this.reservers[i]?.unreserve(state, pod, nodeName);
  }

  async runBind(pod: Pod, nodeName: string): Promise<Status> {
    for (const b of this.binders) {
      const s = await b.bind(pod, nodeName);
      if (s.code === 'Skip') continue;
      return s.code === 'Success' ? s : { ...s, plugin: b.name };
    }
    return errorStatus('no bind plugin bound the pod');
  }
}

export { isRejection };
