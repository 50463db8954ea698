// The scheduler (the kube-scheduler role): watches pods and nodes through informers, keeps a cache
// of nodes and the pods on them, takes pending pods from the scheduling queue one at a time, runs
// the framework's plugins to choose a node, assumes the pod there and binds it through
// pods/binding — several bindings in flight at once — and explains every decision in an Event.
import type { Logger } from '../../platform/logger';
import { createEventRecorder } from '../../shared/kube/events';
import type { EventRecorderHandle } from '../../shared/kube/events';
import { createInformer } from '../../shared/kube/informer';
import { isKubeApiError } from '../../shared/kube/types';
import type { EventRecorder, Informer, KubeApi, Stoppable } from '../../shared/kube/types';
import { RESOURCES } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { DEFAULT_SCHEDULER_NAME } from './api-types';
import type { Node, StoredPod as Pod } from '../../shared/kube/objects';
import { DecisionLog, registerDecisionLog, scoreSummary } from './decisions';
import type { SchedulingDecision } from './decisions';
import { Framework } from './framework/framework';
import { CycleState } from './framework/types';
import type { ClusterEvent, FrameworkHandle, PluginFactory, QueuedPodInfo } from './framework/types';
import { SchedulerCache } from './internal/cache';
import { realClock } from './internal/clock';
import type { Clock } from './internal/clock';
import { newPodInfo } from './internal/pod-info';
import type { PodInfo } from './internal/pod-info';
import { SchedulingQueue } from './internal/queue';
import type { QueueStats } from './internal/queue';
import { DEFAULT_PLUGINS } from './plugins/registry';
import { SchedulingAlgorithm } from './scheduling-cycle';
import type { CycleResult } from './scheduling-cycle';

const PODS = RESOURCES.find((r) => r.group === '' && r.kind === 'Pod') as ResourceInfo;
const NODES = RESOURCES.find((r) => r.group === '' && r.kind === 'Node') as ResourceInfo;

export const COMPONENT = 'default-scheduler';

export interface SchedulerOptions {
  /** Pods with this spec.schedulerName (or none) are ours. Default `default-scheduler`. */
  schedulerName?: string;
  /** Shared informers (e.g. the controller manager's). Missing ones are created and owned here. */
  informers?: { pods?: Informer<Pod>; nodes?: Informer<Node> };
  /** Where Events go; by default a recorder of our own as `default-scheduler`. */
  recorder?: EventRecorder;
  log?: Logger;
  clock?: Clock;
  /** Plugins in filter order; default: the registry's. */
  plugins?: readonly PluginFactory[];
  /** Score weights by plugin name, overriding the plugins' defaults. */
  weights?: Record<string, number>;
  /** 0 (default) = adaptive, as Kubernetes' percentageOfNodesToScore. */
  percentageOfNodesToScore?: number;
  /** Bindings in flight at once (default 64). */
  parallelBindings?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Safety-net retry for pods left unschedulable this long (default 60 s). */
  maxUnschedulableMs?: number;
  /** How many pods' last decisions are kept for lastDecision() (default 1,000). */
  decisionLogSize?: number;
  random?: () => number;
}

export interface SchedulerStats {
  queue: QueueStats;
  cache: { nodes: number; assumedPods: number; boundPods: number };
  scheduled: number;
  unschedulable: number;
  bindingFailures: number;
  bindingsInFlight: number;
}

export interface Scheduler extends Stoppable {
  lastDecision(podUid: string): SchedulingDecision | undefined;
  stats(): SchedulerStats;
  /** Stops and waits for bindings in flight and queued events to finish. */
  close(): Promise<void>;
}

const noopLog: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => noopLog,
};

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The node changes an unschedulable pod might be waiting for; heartbeats alone are none of them. */
export function nodeChanges(oldNode: Node, newNode: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (!same(oldNode.status?.allocatable, newNode.status?.allocatable)) out.push('NodeAllocatable');
  if (!same(oldNode.metadata.labels, newNode.metadata.labels)) out.push('NodeLabel');
  if (!same(oldNode.spec?.taints, newNode.spec?.taints)) out.push('NodeTaint');
  if ((oldNode.spec?.unschedulable ?? false) !== (newNode.spec?.unschedulable ?? false))
    out.push('NodeSchedulable');
  const conds = (n: Node) => (n.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',');
  if (conds(oldNode) !== conds(newNode)) out.push('NodeCondition');
  return out;
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export async function startScheduler(api: KubeApi, options: SchedulerOptions = {}): Promise<Scheduler> {
  const log = options.log ?? noopLog;
  const clock = options.clock ?? realClock;
  const schedulerName = options.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const parallelBindings = options.parallelBindings ?? 64;
  const ownedInformers: Stoppable[] = [];
  const onInformerError = (message: string, err: unknown) => log.warn(message, { error: errorMessage(err) });
  const podInformer =
    options.informers?.pods ?? createInformer<Pod>(api, PODS, { onError: onInformerError, pageSize: 1000 });
  const nodeInformer =
    options.informers?.nodes ??
    createInformer<Node>(api, NODES, { onError: onInformerError, pageSize: 1000 });
  if (!options.informers?.pods) ownedInformers.push(podInformer);
  if (!options.informers?.nodes) ownedInformers.push(nodeInformer);
  let ownRecorder: EventRecorderHandle | undefined;
  const recorder =
    options.recorder ??
    (ownRecorder = createEventRecorder(api, {
      component: COMPONENT,
      concurrency: 16,
      maxPending: 50_000,
      log,
    }));

  const cache = new SchedulerCache();
  const handle: FrameworkHandle = { nodes: () => cache.nodes(), nodeInfo: (n) => cache.nodeInfo(n) };
  const bindPod = async (pod: Pod, nodeName: string) => {
    await api.createSubresource(PODS, pod.metadata.name, pod.metadata.namespace, 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    });
  };
  const framework = new Framework(options.plugins ?? DEFAULT_PLUGINS, { handle, bindPod }, options.weights);
  const queue = new SchedulingQueue({
    less: framework.less,
    clock,
    initialBackoffMs: options.initialBackoffMs,
    maxBackoffMs: options.maxBackoffMs,
    maxUnschedulableMs: options.maxUnschedulableMs,
    pluginEvents: framework.pluginEvents,
  });
  const algorithm = new SchedulingAlgorithm(framework, cache, {
    percentageOfNodesToScore: options.percentageOfNodesToScore,
    random: options.random,
  });
  const decisions = new DecisionLog(options.decisionLogSize);
  const unregister = registerDecisionLog(decisions);
  const counters = { scheduled: 0, unschedulable: 0, bindingFailures: 0 };
  let bindingsInFlight = 0;
  const bindingDone: (() => void)[] = [];
  let stopped = false;

  const responsible = (pod: Pod) => (pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName;
  const involved = (pod: Pod) => ({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata });

  // Would this node, as it is now, take the pod? Keeps a node event from waking every waiting pod.
  const fitsOn = (nodeName: string) => (pod: Pod) => {
    const node = cache.nodeInfo(nodeName);
    if (!node) return false;
    return framework.runFilter(new CycleState(), newPodInfo(pod), node, new Set()).code === 'Success';
  };

  // ---- informer events -------------------------------------------------------------------------
  podInformer.addHandlers({
    onAdd(pod) {
      if (pod.spec.nodeName) {
        if (isTerminal(pod)) return;
        cache.upsertPod(pod);
        queue.moveOnEvent('AssignedPodAdd');
      } else if (responsible(pod) && !pod.metadata.deletionTimestamp) queue.add(pod);
    },
    onUpdate(oldPod, pod) {
      if (pod.spec.nodeName) {
        if (!oldPod.spec.nodeName) queue.delete(pod.metadata.uid);
        if (isTerminal(pod)) {
          cache.removePod(pod.metadata.uid);
          queue.moveOnEvent('AssignedPodDelete');
          return;
        }
        cache.upsertPod(pod);
        if (JSON.stringify(oldPod.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {})) {
          queue.moveOnEvent('AssignedPodUpdate');
        }
      } else if (responsible(pod)) {
        if (pod.metadata.deletionTimestamp) queue.delete(pod.metadata.uid);
        else queue.update(pod);
      }
    },
    onDelete(pod) {
      decisions.forget(pod.metadata.uid);
      if (pod.spec.nodeName) {
        cache.removePod(pod.metadata.uid);
        queue.moveOnEvent('AssignedPodDelete');
      } else queue.delete(pod.metadata.uid);
    },
  });
  nodeInformer.addHandlers({
    onAdd(node) {
      cache.addNode(node);
      queue.moveOnEvent('NodeAdd', fitsOn(node.metadata.name));
    },
    onUpdate(oldNode, node) {
      cache.updateNode(node);
      for (const e of nodeChanges(oldNode, node)) queue.moveOnEvent(e, fitsOn(node.metadata.name));
    },
    onDelete(node) {
      cache.removeNode(node.metadata.name);
      queue.moveOnEvent('NodeDelete');
    },
  });

  // ---- the scheduling cycle --------------------------------------------------------------------
  async function recordUnschedulable(pod: Pod, message: string): Promise<void> {
    recorder.event(involved(pod), 'Warning', 'FailedScheduling', message);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message)
      return;
    try {
      await api.patch(
        PODS,
        pod.metadata.name,
        pod.metadata.namespace,
        {
          status: {
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message,
                lastProbeTime: null,
                lastTransitionTime:
                  current?.status === 'False' && current.lastTransitionTime
                    ? current.lastTransitionTime
                    : new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
              },
            ],
          },
        },
        'strategic',
        'status',
      );
    } catch (err) {
      if (!isKubeApiError(err, 404))
        log.warn('could not set PodScheduled=False', { pod: pod.metadata.name, error: errorMessage(err) });
    }
  }

  function failUnschedulable(q: QueuedPodInfo, result: CycleResult): void {
    counters.unschedulable++;
    const message = result.fitError ?? 'no node fits';
    decisions.record(result, {
      time: new Date(clock.now()).toISOString(),
      attempt: q.attempts,
      outcome: 'Unschedulable',
      message,
    });
    queue.addUnschedulable(q, result.rejectors);
    log.debug('unschedulable', { pod: result.pod.key, message });
    void recordUnschedulable(q.pod, message);
  }

  function scheduleOne(q: QueuedPodInfo): void {
    const latest = podInformer.lister.get(q.pod.metadata.name, q.pod.metadata.namespace) ?? q.pod;
    if (
      latest.metadata.uid !== q.uid ||
      latest.spec.nodeName ||
      latest.metadata.deletionTimestamp ||
      cache.has(q.uid)
    ) {
      queue.done(q.uid);
      return;
    }
    q.pod = latest;
    const podInfo = newPodInfo(latest);
    const result = algorithm.schedule(podInfo);
    if (result.chosen === undefined) {
      failUnschedulable(q, result);
      return;
    }
    const nodeName = (result.feasible[result.chosen] as { name: string }).name;
    cache.assumePod(podInfo, nodeName);
    const reserved = framework.runReserve(result.state, podInfo, nodeName);
    if (reserved.code !== 'Success') {
      cache.forgetPod(q.uid);
      const message = `running Reserve plugin "${reserved.plugin}": ${reserved.reasons.join(', ')}`;
      decisions.record(result, {
        time: new Date(clock.now()).toISOString(),
        attempt: q.attempts,
        outcome: 'Unschedulable',
        message,
      });
      recorder.event(involved(latest), 'Warning', 'FailedScheduling', message);
      queue.addBackoff(q);
      return;
    }
    const message = `Successfully assigned ${podInfo.key} to ${nodeName} ${scoreSummary(result)}`.trimEnd();
    decisions.record(result, {
      time: new Date(clock.now()).toISOString(),
      attempt: q.attempts,
      outcome: 'Pending',
      message,
    });
    bindingsInFlight++;
    void bind(q, podInfo, result, nodeName, message).finally(() => {
      bindingsInFlight--;
      bindingDone.shift()?.();
    });
  }

  async function bind(
    q: QueuedPodInfo,
    podInfo: PodInfo,
    result: CycleResult,
    nodeName: string,
    message: string,
  ): Promise<void> {
    try {
      const s = await framework.runBind(q.pod, nodeName);
      if (s.code !== 'Success') throw new Error(s.reasons.join(', '));
      counters.scheduled++;
      queue.done(q.uid);
      decisions.settle(q.uid, 'Scheduled', message);
      recorder.event(involved(q.pod), 'Normal', 'Scheduled', message);
    } catch (err) {
      counters.bindingFailures++;
      framework.runUnreserve(result.state, podInfo, nodeName);
      if (cache.isAssumed(q.uid)) cache.forgetPod(q.uid);
      const text = `Binding rejected: ${errorMessage(err)}`;
      decisions.settle(q.uid, 'BindingFailed', text);
      // Gone, or bound by someone else: nothing left to schedule.
      if (isKubeApiError(err, 404) || isKubeApiError(err, 409)) {
        queue.done(q.uid);
        log.debug('binding not needed any more', { pod: podInfo.key, error: errorMessage(err) });
        return;
      }
      log.warn('binding failed', { pod: podInfo.key, node: nodeName, error: errorMessage(err) });
      recorder.event(involved(q.pod), 'Warning', 'FailedScheduling', text);
      queue.addBackoff(q);
      queue.moveOnEvent('AssignedPodDelete'); // the room it held is free again
    }
  }

  async function loop(): Promise<void> {
    let sinceYield = 0;
    while (!stopped) {
      if (bindingsInFlight >= parallelBindings) {
        await new Promise<void>((resolve) => bindingDone.push(resolve));
        continue;
      }
      const q = await queue.pop();
      if (!q || stopped) return;
      try {
        scheduleOne(q);
      } catch (err) {
        log.error('scheduling cycle failed', { pod: q.pod.metadata.name, error: errorMessage(err) });
        if (cache.isAssumed(q.uid)) cache.forgetPod(q.uid);
        queue.addBackoff(q);
      }
      // Let informer events and binding responses in between pods.
      if (++sinceYield >= 16) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  await Promise.all([nodeInformer.start(), podInformer.start()]);
  const looping = loop();
  log.info('scheduler started', { nodes: cache.nodeCount() });

  const stop = () => {
    if (stopped) return;
    stopped = true;
    queue.close();
    for (const i of ownedInformers) i.stop();
    for (const w of bindingDone.splice(0)) w();
    unregister();
  };

  return {
    lastDecision: (uid) => decisions.get(uid),
    stats: () => {
      const pods = cache.podCount();
      return {
        queue: queue.stats(),
        cache: { nodes: cache.nodeCount(), assumedPods: pods.assumed, boundPods: pods.bound },
        ...counters,
        bindingsInFlight,
      };
    },
    stop,
    async close() {
      stop();
      await looping;
      const deadline = Date.now() + 10_000;
      while (bindingsInFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await ownRecorder?.flush();
    },
  };
}
