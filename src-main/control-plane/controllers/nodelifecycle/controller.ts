// The node lifecycle controller (kube-controller-manager's node-lifecycle-controller with its taint
// manager, plus PodGC's orphaned-pod sweep):
// - health: a node heartbeats by renewing its Lease in kube-node-lease or posting its Ready condition.
//   Heartbeats are judged by when this controller *saw* a newer renewTime / lastHeartbeatTime (so
//   clock skew between machines does not matter, and a replayed or delayed old heartbeat never counts).
//   No heartbeat for nodeMonitorGracePeriod: Ready (and the pressure conditions) become Unknown.
// - taints: Ready=Unknown gives `node.kubernetes.io/unreachable`, Ready=False `node.kubernetes.io/not-ready`,
//   each as NoSchedule and NoExecute (timeAdded stamped). They are removed only when the node posts
//   Ready=True *and* its heartbeat is fresh; a stale Ready=True is first marked Unknown again, so a node
//   never flaps untainted on one late status write.
// - eviction: every pod on a node with NoExecute taints is deleted when the shortest matching
//   tolerationSeconds, counted from the taint's timeAdded, has passed (at once when a taint is not
//   tolerated at all). Pods on a not-ready node are marked Ready=False.
// - orphans: pods bound to a node that no longer exists are force-deleted after a short quarantine.
// Every decision is an Event from `node-controller`.
import { deepCopy, jsonEqual, objectKey } from '../../../shared/kube/meta';
import type { Lease, Node, NodeCondition, Pod, Taint } from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import type { KubeObjectLike } from '../../../shared/kube/types';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller, ControllerHandle } from '../framework/controller';
import { isPodTerminal } from '../framework/pods';
import { PODS } from '../framework/resources';
import { LEASES, NODE_LEASE_NAMESPACE, NODES } from '../framework/resources';
import { DESKTOP_NODE_LIFECYCLE } from './settings';
import type { NodeLifecycleSettings } from './settings';
import { formatTaint, sameTaint, TAINT_NOT_READY, TAINT_UNREACHABLE, tolerationSecondsFor } from './taints';
import { nodeCondition, parseTime, schedulingSpec, timestamp } from './types';

export const NODE_CONTROLLER = 'node-controller';

export type NodeLifecycleOptions = Partial<NodeLifecycleSettings>;

/** The conditions a silent node's kubelet can no longer vouch for. */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

interface Health {
  /** Local time of the last observed heartbeat (or of first sight). */
  probeMs: number;
  leaseRenewMs?: number;
  statusHeartbeatMs?: number;
  /** The Ready status last acted on, to report transitions once. */
  lastReady?: string;
  /** When an orphaned pod sweep may run for a vanished node. */
  orphanSince?: number;
}

export function createNodeLifecycleController(
  ctx: ControllerContext,
  options: NodeLifecycleOptions = {},
): Controller {
  const settings: NodeLifecycleSettings = { ...DESKTOP_NODE_LIFECYCLE, ...options };
  const log = ctx.log.child(NODE_CONTROLLER);
  const recorder = ctx.recorder(NODE_CONTROLLER);
  const nodeInformer = ctx.informers.informerFor<Node>(NODES);
  const leaseInformer = ctx.informers.informerFor<Lease>(LEASES);
  const podInformer = ctx.informers.informerFor<Pod>(PODS);
  const health = new Map<string, Health>();
  const podsByNode = new Map<string, Set<string>>();
  /** Pods already deleted by us (uid), so a lagging cache never makes us delete twice. */
  const evicted = new Set<string>();
  /** First sight of a NoExecute taint that came without timeAdded (`node|key|effect`). */
  const taintFirstSeen = new Map<string, number>();
  const graceMs = settings.nodeMonitorGracePeriodSeconds * 1000;
  const startupGraceMs = settings.nodeStartupGracePeriodSeconds * 1000;

  const inner = createQueueController({
    name: NODE_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = inner.queue;

  function healthOf(name: string): Health {
    let h = health.get(name);
    if (!h) health.set(name, (h = { probeMs: ctx.clock.now() }));
    return h;
  }

  function observeNode(node: Node): void {
    const h = healthOf(node.metadata.name);
    h.orphanSince = undefined;
    const beat = parseTime(nodeCondition(node, 'Ready')?.lastHeartbeatTime);
    if (beat !== undefined && (h.statusHeartbeatMs === undefined || beat > h.statusHeartbeatMs)) {
      if (h.statusHeartbeatMs !== undefined) h.probeMs = ctx.clock.now();
      h.statusHeartbeatMs = beat;
    }
  }

  function observeLease(lease: Lease): void {
    if (lease.metadata.namespace !== NODE_LEASE_NAMESPACE || !lease.metadata.name) return;
    const h = healthOf(lease.metadata.name);
    const renew = parseTime(lease.spec?.renewTime);
    if (renew !== undefined && (h.leaseRenewMs === undefined || renew > h.leaseRenewMs)) {
      if (h.leaseRenewMs !== undefined) h.probeMs = ctx.clock.now();
      h.leaseRenewMs = renew;
    }
    queue.add(lease.metadata.name);
  }

  function indexPod(pod: Pod, add: boolean): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const key = objectKey(pod);
    let set = podsByNode.get(nodeName);
    if (add) {
      if (!set) podsByNode.set(nodeName, (set = new Set()));
      set.add(key);
    } else if (set) {
      set.delete(key);
      if (set.size === 0) podsByNode.delete(nodeName);
    }
  }

  nodeInformer.addHandlers({
    onAdd(node) {
      observeNode(node);
      queue.add(node.metadata.name);
    },
    onUpdate(_old, node) {
      observeNode(node);
      queue.add(node.metadata.name);
    },
    onDelete(node) {
      health.delete(node.metadata.name);
      for (const k of [...taintFirstSeen.keys()])
        if (k.startsWith(`${node.metadata.name}|`)) taintFirstSeen.delete(k);
      queue.add(node.metadata.name);
    },
  });

  leaseInformer.addHandlers({ onAdd: observeLease, onUpdate: (_old, lease) => observeLease(lease) });

  podInformer.addHandlers({
    onAdd(pod) {
      indexPod(pod, true);
      if (pod.spec?.nodeName) queue.add(pod.spec.nodeName);
    },
    onUpdate(old, pod) {
      if (old.spec?.nodeName !== pod.spec?.nodeName) {
        indexPod(old, false);
        indexPod(pod, true);
        if (pod.spec?.nodeName) queue.add(pod.spec.nodeName);
      }
    },
    onDelete(pod) {
      indexPod(pod, false);
      evicted.delete(pod.metadata.uid ?? '');
    },
  });

  function podsOn(nodeName: string): Pod[] {
    const out: Pod[] = [];
    for (const key of podsByNode.get(nodeName) ?? []) {
      const i = key.indexOf('/');
      const pod = podInformer.lister.get(key.slice(i + 1), key.slice(0, i));
      if (pod && pod.spec?.nodeName === nodeName) out.push(pod);
    }
    return out;
  }

  const nodeRef = (node: Node): KubeObjectLike => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.metadata.name, uid: node.metadata.uid },
  });
  const podRef = (pod: Pod): KubeObjectLike => ({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata });

  async function sync(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const cached = nodeInformer.lister.get(name);
    if (!cached) return sweepOrphans(name);
    const h = healthOf(name);
    const now = ctx.clock.now();
    let node = cached;
    const ready = nodeCondition(node, 'Ready');
    const staleAt = h.probeMs + (ready ? graceMs : startupGraceMs);
    const errors: unknown[] = [];

    if (now >= staleAt && ready?.status !== 'Unknown') {
      node = await markUnknown(node, ready !== undefined, now);
    }
    const readyStatus = nodeCondition(node, 'Ready')?.status ?? 'Unknown';
    // Fresh heartbeat and Ready=True is the only way back to untainted (see the header).
    const healthy = readyStatus === 'True' && now < staleAt;
    if (h.lastReady !== undefined && h.lastReady !== 'True' && healthy) {
      recorder.event(nodeRef(node), 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    }
    if (healthy || readyStatus !== 'True') h.lastReady = readyStatus;

    try {
      node = await reconcileTaints(node, healthy ? 'True' : readyStatus, now);
    } catch (err) {
      errors.push(err);
    }
    if (readyStatus !== 'True') {
      try {
        await markPodsNotReady(node);
      } catch (err) {
        errors.push(err);
      }
    }
    let nextEviction: number | undefined;
    try {
      nextEviction = await evictPods(node, now);
    } catch (err) {
      errors.push(err);
    }
    if (errors.length > 0) throw errors[0];

    const waits = [
      staleAt > now ? staleAt - now : undefined,
      nextEviction !== undefined ? nextEviction - now : undefined,
    ].filter((x): x is number => x !== undefined && Number.isFinite(x));
    return waits.length > 0 ? { requeueAfterMs: Math.max(10, Math.min(...waits) + 10) } : undefined;
  }

  async function markUnknown(node: Node, everPosted: boolean, now: number): Promise<Node> {
    const at = timestamp(now);
    const message = everPosted ? 'Kubelet stopped posting node status.' : 'Kubelet never posted node status.';
    const next = deepCopy(node);
    const conditions: NodeCondition[] = next.status?.conditions ?? [];
    for (const type of KUBELET_CONDITIONS) {
      const c = conditions.find((x) => x.type === type);
      if (!c) {
        conditions.push({
          type,
          status: 'Unknown',
          reason: 'NodeStatusNeverUpdated',
          message: 'Kubelet never posted node status.',
          lastHeartbeatTime: timestamp(parseTime(node.metadata.creationTimestamp) ?? now),
          lastTransitionTime: at,
        });
      } else if (c.status !== 'Unknown') {
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = message;
        c.lastTransitionTime = at;
      }
    }
    next.status = { ...next.status, conditions };
    const written = await ctx.api.updateStatus<Node>(NODES, next);
    log.info('node stopped posting status', { node: node.metadata.name });
    recorder.event(
      nodeRef(node),
      'Normal',
      'NodeNotReady',
      `Node ${node.metadata.name} status is now: NodeNotReady`,
    );
    return written;
  }

  /** The not-ready/unreachable taints the node should carry for its Ready status. */
  function desiredTaints(node: Node, readyStatus: string, now: number): Taint[] {
    const others = (node.spec?.taints ?? []).filter(
      (t) => t.key !== TAINT_NOT_READY && t.key !== TAINT_UNREACHABLE,
    );
    const key =
      readyStatus === 'True' ? undefined : readyStatus === 'False' ? TAINT_NOT_READY : TAINT_UNREACHABLE;
    if (!key) return others;
    const existing = (node.spec?.taints ?? []).find((t) => t.key === key && t.effect === 'NoExecute');
    return [
      ...others,
      { key, effect: 'NoSchedule' },
      { key, effect: 'NoExecute', timeAdded: existing?.timeAdded ?? timestamp(now) },
    ];
  }

  async function reconcileTaints(node: Node, readyStatus: string, now: number): Promise<Node> {
    const current = node.spec?.taints ?? [];
    const want = desiredTaints(node, readyStatus, now);
    if (jsonEqual(current, want)) return node;
    const patch =
      node.spec?.taints !== undefined
        ? [
            { op: 'test', path: '/metadata/uid', value: node.metadata.uid },
            { op: 'test', path: '/spec/taints', value: current },
            { op: 'replace', path: '/spec/taints', value: want },
          ]
        : [
            { op: 'test', path: '/metadata/uid', value: node.metadata.uid },
            { op: 'add', path: '/spec/taints', value: want },
          ];
    const written = await ctx.api.patch<Node>(NODES, node.metadata.name, undefined, patch, 'json');
    const added = want.filter((t) => !current.some((c) => sameTaint(c, t)));
    const removed = current.filter((c) => !want.some((t) => sameTaint(c, t)));
    if (added.length > 0) {
      const why =
        readyStatus === 'False' ? 'the node reports it is not ready' : 'the node stopped posting its status';
      recorder.event(
        nodeRef(node),
        'Warning',
        'TaintAdded',
        `Added taint ${added.map(formatTaint).join(', ')}: ${why}`,
      );
    }
    if (removed.length > 0) {
      recorder.event(
        nodeRef(node),
        'Normal',
        'TaintRemoved',
        `Removed taint ${removed.map(formatTaint).join(', ')}: the node is ready again`,
      );
    }
    log.info('node taints updated', {
      node: node.metadata.name,
      added: added.map(formatTaint),
      removed: removed.map(formatTaint),
    });
    return written;
  }

  async function markPodsNotReady(node: Node): Promise<void> {
    let firstError: unknown;
    for (const pod of podsOn(node.metadata.name)) {
      if (isPodTerminal(pod) || pod.metadata.deletionTimestamp) continue;
      const conditions = pod.status?.conditions ?? [];
      const ready = conditions.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') continue;
      const next = deepCopy(pod);
      const at = timestamp(ctx.clock.now());
      const cond = {
        type: 'Ready',
        status: 'False' as const,
        reason: 'NodeNotReady',
        message: `Node ${node.metadata.name} is not ready`,
        lastProbeTime: null,
        lastTransitionTime: at,
      };
      next.status = {
        ...next.status,
        conditions: ready
          ? (next.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? cond : c))
          : [...conditions, cond],
      };
      try {
        await ctx.api.updateStatus(PODS, next);
        recorder.event(podRef(pod), 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isKubeApiError(err, 404)) firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  /** Deletes the pods whose toleration ran out; returns when the next one will (ms since epoch). */
  async function evictPods(node: Node, now: number): Promise<number | undefined> {
    const name = node.metadata.name;
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    for (const k of [...taintFirstSeen.keys()]) {
      if (k.startsWith(`${name}|`) && !taints.some((t) => `${name}|${t.key}|${t.effect}` === k))
        taintFirstSeen.delete(k);
    }
    if (taints.length === 0) return undefined;
    const since = (t: Taint) => {
      const added = parseTime(t.timeAdded);
      if (added !== undefined) return added;
      const k = `${name}|${t.key}|${t.effect}`;
      if (!taintFirstSeen.has(k)) taintFirstSeen.set(k, now);
      return taintFirstSeen.get(k) as number;
    };
    let next: number | undefined;
    let firstError: unknown;
    for (const pod of podsOn(name)) {
      if (pod.metadata.deletionTimestamp || isPodTerminal(pod) || evicted.has(pod.metadata.uid ?? ''))
        continue;
      const tolerations = schedulingSpec(pod).tolerations;
      let deadline = Infinity;
      for (const taint of taints) {
        const seconds = tolerationSecondsFor(taint, tolerations);
        deadline = Math.min(deadline, seconds === undefined ? now : since(taint) + seconds * 1000);
      }
      if (deadline > now) {
        if (Number.isFinite(deadline)) next = next === undefined ? deadline : Math.min(next, deadline);
        continue;
      }
      const podName = `${pod.metadata.namespace}/${pod.metadata.name}`;
      try {
        evicted.add(pod.metadata.uid ?? '');
        await ctx.api.delete(PODS, pod.metadata.name ?? '', pod.metadata.namespace, {
          preconditions: { uid: pod.metadata.uid },
        });
        log.info('evicting pod from tainted node', { pod: podName, node: name });
        recorder.event(podRef(pod), 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${podName}`);
      } catch (err) {
        if (isKubeApiError(err, 404) || isKubeApiError(err, 409)) continue;
        evicted.delete(pod.metadata.uid ?? '');
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
    return next;
  }

  /** PodGC for a vanished node: force-delete its pods once the node is confirmed gone. */
  async function sweepOrphans(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const pods = podsOn(name).filter((p) => !evicted.has(`orphan:${p.metadata.uid}`));
    if (pods.length === 0) return;
    const now = ctx.clock.now();
    const h = healthOf(name);
    h.orphanSince ??= now;
    const due = h.orphanSince + settings.orphanedPodQuarantineSeconds * 1000;
    if (now < due) return { requeueAfterMs: due - now + 10 };
    try {
      await ctx.api.get(NODES, name);
      h.orphanSince = undefined; // it exists after all: the cache was behind
      return;
    } catch (err) {
      if (!isKubeApiError(err, 404)) throw err;
    }
    health.delete(name);
    for (const pod of pods) {
      try {
        evicted.add(`orphan:${pod.metadata.uid}`);
        await ctx.api.delete(PODS, pod.metadata.name ?? '', pod.metadata.namespace, {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid },
        });
        recorder.event(
          podRef(pod),
          'Normal',
          'DeletingOrphanedPod',
          `Force deleting pod ${pod.metadata.namespace}/${pod.metadata.name}: its node ${name} no longer exists`,
        );
      } catch (err) {
        evicted.delete(`orphan:${pod.metadata.uid}`);
        if (!isKubeApiError(err, 404) && !isKubeApiError(err, 409)) throw err;
      }
    }
  }

  return {
    name: NODE_CONTROLLER,
    queue,
    async start(): Promise<ControllerHandle> {
      const handle = await inner.start();
      // The safety net: every node is looked at at least once per monitor period.
      let timer: unknown;
      let stopped = false;
      const tick = () => {
        if (stopped) return;
        for (const node of nodeInformer.lister.list()) queue.add(node.metadata.name);
        timer = ctx.clock.setTimeout(tick, settings.nodeMonitorPeriodSeconds * 1000);
      };
      timer = ctx.clock.setTimeout(tick, settings.nodeMonitorPeriodSeconds * 1000);
      const stopAndWait = async () => {
        stopped = true;
        ctx.clock.clearTimeout(timer);
        await handle.stopAndWait();
      };
      return { stop: () => void stopAndWait(), stopAndWait };
    },
  };
}
