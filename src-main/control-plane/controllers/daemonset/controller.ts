// The DaemonSet controller (kube-controller-manager's daemonset-controller): one pod per eligible node
// (nodeSelector, required node affinity, taints against the template's tolerations plus the standard
// daemon tolerations), following nodes as they come and go. Each pod is created pinned to its node by
// a required node affinity on `metadata.name`, so the scheduler places it (and explains it). Pods of a
// template that changed are replaced with RollingUpdate (at most maxUnavailable nodes without an
// available daemon pod at a time) or left for the user with OnDelete. Status reports
// desired/current/misscheduled/ready/updated/available counts and observedGeneration.
import {
  canonicalJson,
  controllerOf,
  deepCopy,
  jsonEqual,
  newControllerRef,
  objectKey,
  splitKey,
} from '../../../shared/kube/meta';
import type {
  IntOrString,
  LabelSelectorSpec,
  Node,
  ObjectMeta,
  Pod,
  PodTemplateSpec,
  SchedulingSpec,
} from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import type { KubeObjectLike } from '../../../shared/kube/types';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { createExpectations } from '../framework/expectations';
import { podOwnersFor } from '../framework/pod-owners';
import { isPodAvailable, isPodReady, requeueForAvailability } from '../framework/pods';
import { PODS } from '../framework/resources';
import { DAEMONSETS, NODES } from '../framework/resources';
import { nodeEligibility, pinToNode, targetNodeOf, withDaemonTolerations } from './eligibility';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';
export const REVISION_HASH_LABEL = 'controller-revision-hash';

export interface DaemonSet extends KubeObjectLike {
  metadata: ObjectMeta & { name: string };
  spec: {
    selector: LabelSelectorSpec;
    template: PodTemplateSpec;
    minReadySeconds?: number;
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString };
    };
    revisionHistoryLimit?: number;
  };
  status?: DaemonSetStatus;
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

/** A short stable hash of the pod template (what a ControllerRevision's hash label identifies). */
export function templateHash(template: PodTemplateSpec): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(template);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Kubernetes' hash alphabet avoids vowels so a hash never spells a word.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let n = h, i = 0; i < 7; i++, n = Math.floor(n / alphabet.length))
    out += alphabet[n % alphabet.length];
  return out;
}

/** An int-or-percent of `total`, percentages rounded up (intstr.GetScaledValueFromIntOrPercent). */
export function scaled(value: IntOrString | undefined, total: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  const n = Number(value);
  return Number.isInteger(n) ? n : fallback;
}

const byCreation = (a: Pod, b: Pod) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
  (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

export function createDaemonSetController(ctx: ControllerContext): Controller {
  const log = ctx.log.child(DAEMONSET_CONTROLLER);
  const recorder = ctx.recorder(DAEMONSET_CONTROLLER);
  const dsInformer = ctx.informers.informerFor<DaemonSet>(DAEMONSETS);
  const podInformer = ctx.informers.informerFor<Pod>(PODS);
  const nodeInformer = ctx.informers.informerFor<Node>(NODES);
  const expectations = createExpectations(ctx.clock);
  const owners = podOwnersFor<DaemonSet>(ctx, DAEMONSETS, log, recorder);
  const dsRef = owners.ref;

  const controller = createQueueController({
    name: DAEMONSET_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = controller.queue;
  const enqueueAll = () => {
    for (const ds of dsInformer.lister.list()) queue.add(objectKey(ds));
  };

  function podChanged(pod: Pod, created: boolean): void {
    const ds = owners.ownerOf(pod);
    if (ds) {
      if (created) expectations.creationObserved(objectKey(ds));
      if (pod.metadata.deletionTimestamp) expectations.deletionObserved(objectKey(ds), objectKey(pod));
      queue.add(objectKey(ds));
      return;
    }
    if (controllerOf(pod)) return;
    for (const d of owners.matching(pod)) queue.add(objectKey(d));
  }

  dsInformer.addHandlers({
    onAdd: (ds) => queue.add(objectKey(ds)),
    onUpdate: (_old, ds) => queue.add(objectKey(ds)),
    onDelete(ds) {
      expectations.delete(objectKey(ds));
    },
  });
  podInformer.addHandlers({
    onAdd: (pod) => podChanged(pod, !pod.metadata.deletionTimestamp),
    onUpdate(old, pod) {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      podChanged(pod, false);
      const ds = owners.ownerOf(pod);
      const minReady = ds?.spec.minReadySeconds ?? 0;
      if (ds && minReady > 0 && !isPodReady(old) && isPodReady(pod))
        queue.addAfter(objectKey(ds), minReady * 1000 + 100);
    },
    onDelete(pod) {
      const ds = owners.ownerOf(pod);
      if (!ds) return;
      expectations.deletionObserved(objectKey(ds), objectKey(pod));
      queue.add(objectKey(ds));
    },
  });
  nodeInformer.addHandlers({
    onAdd: enqueueAll,
    onUpdate(old, node) {
      // Heartbeats change nothing a DaemonSet cares about; labels, taints and pinning do.
      if (
        !jsonEqual(old.metadata.labels, node.metadata.labels) ||
        !jsonEqual(old.spec?.taints, node.spec?.taints)
      )
        enqueueAll();
    },
    onDelete: enqueueAll,
  });

  async function sync(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { namespace, name } = splitKey(key);
    const ds = dsInformer.lister.get(name, namespace);
    if (!ds) {
      expectations.delete(key);
      return;
    }
    const pods = await owners.claim(ds, podInformer.lister.list(namespace));
    if (!pods) return;
    const byNode = new Map<string, Pod[]>();
    for (const pod of pods) {
      const node = targetNodeOf(pod as { spec?: SchedulingSpec });
      if (!node) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    const nodes = nodeInformer.lister.list();
    const hash = templateHash(ds.spec.template);
    const now = ctx.clock.now();
    let failure: unknown;
    if (expectations.satisfied(key) && !ds.metadata.deletionTimestamp) {
      try {
        const acted = await manage(key, ds, nodes, byNode, hash);
        if (!acted && ds.spec.updateStrategy?.type !== 'OnDelete')
          await rollingUpdate(key, ds, nodes, byNode, hash, now);
      } catch (err) {
        failure = err;
      }
    }
    await writeStatus(ds, computeStatus(ds, nodes, byNode, hash, now));
    if (failure !== undefined) throw failure;
    return requeueForAvailability(pods, ds.spec.minReadySeconds ?? 0, now);
  }

  /** Creates and deletes so each eligible node has one daemon pod; true if it changed anything. */
  async function manage(
    key: string,
    ds: DaemonSet,
    nodes: Node[],
    byNode: Map<string, Pod[]>,
    hash: string,
  ): Promise<boolean> {
    const template = (ds.spec.template.spec ?? {}) as SchedulingSpec;
    const toCreate: string[] = [];
    const toDelete: { pod: Pod; why: string; force: boolean }[] = [];
    const known = new Set<string>();
    for (const node of nodes) {
      const nodeName = node.metadata.name;
      known.add(nodeName);
      const { shouldRun, shouldContinueRunning } = nodeEligibility(node, template);
      const all = byNode.get(nodeName) ?? [];
      const here = all.filter((p) => !p.metadata.deletionTimestamp).sort(byCreation);
      // A pod still terminating here is waited for (its ports and volumes are not free yet).
      if (shouldRun && all.length === 0) {
        toCreate.push(nodeName);
        continue;
      }
      if (!shouldContinueRunning) {
        for (const pod of here)
          toDelete.push({ pod, why: `node ${nodeName} is no longer eligible`, force: false });
        continue;
      }
      const failed = here.filter((p) => p.status?.phase === 'Failed');
      for (const pod of failed) {
        recorder.event(
          dsRef(ds),
          'Warning',
          'FailedDaemonPod',
          `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`,
        );
        toDelete.push({ pod, why: 'it failed', force: false });
      }
      // More than one on a node (a lost race, a user's copy): keep the oldest.
      for (const pod of here.filter((p) => p.status?.phase !== 'Failed').slice(1))
        toDelete.push({ pod, why: `node ${nodeName} already has one`, force: false });
    }
    for (const [nodeName, here] of byNode) {
      if (known.has(nodeName)) continue;
      // The node is gone: nothing will ever finish these pods gracefully.
      for (const pod of here)
        if (!pod.metadata.deletionTimestamp || pod.spec?.nodeName)
          toDelete.push({ pod, why: `node ${nodeName} no longer exists`, force: true });
    }
    if (toCreate.length === 0 && toDelete.length === 0) return false;

    let firstError: unknown;
    if (toDelete.length > 0) {
      expectations.expectDeletions(
        key,
        toDelete.map((d) => objectKey(d.pod)),
      );
      await Promise.all(
        toDelete.map(async (d) => {
          try {
            await deletePod(ds, d.pod, d.why, d.force);
          } catch (err) {
            expectations.deletionObserved(key, objectKey(d.pod));
            firstError ??= err;
          }
        }),
      );
    }
    if (toCreate.length > 0) {
      expectations.expectCreations(key, toCreate.length);
      await Promise.all(
        toCreate.map(async (nodeName) => {
          try {
            await createPod(ds, nodeName, hash);
          } catch (err) {
            expectations.lowerCreations(key, 1);
            firstError ??= err;
          }
        }),
      );
    }
    if (firstError !== undefined) throw firstError;
    return true;
  }

  async function rollingUpdate(
    key: string,
    ds: DaemonSet,
    nodes: Node[],
    byNode: Map<string, Pod[]>,
    hash: string,
    now: number,
  ): Promise<void> {
    const template = (ds.spec.template.spec ?? {}) as SchedulingSpec;
    const minReady = ds.spec.minReadySeconds ?? 0;
    const desired = nodes
      .filter((n) => nodeEligibility(n, template).shouldRun)
      .map((n) => n.metadata.name)
      .sort();
    const maxUnavailable = Math.max(
      1,
      scaled(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable, desired.length, 1),
    );
    let unavailable = 0;
    const oldUnavailable: Pod[] = [];
    const oldAvailable: Pod[] = [];
    for (const nodeName of desired) {
      const pod = byNode.get(nodeName)?.find((p) => !p.metadata.deletionTimestamp);
      if (!pod) {
        unavailable++;
        continue;
      }
      const available = isPodAvailable(pod, minReady, now);
      if (!available) unavailable++;
      if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) continue;
      (available ? oldAvailable : oldUnavailable).push(pod);
    }
    // Old pods that are not available cost nothing to replace; available ones only within the budget.
    const victims = [...oldUnavailable];
    for (const pod of oldAvailable) {
      if (unavailable >= maxUnavailable) break;
      victims.push(pod);
      unavailable++;
    }
    if (victims.length === 0) return;
    expectations.expectDeletions(key, victims.map(objectKey));
    let firstError: unknown;
    for (const pod of victims) {
      try {
        await deletePod(ds, pod, 'rolling update to the new template', false);
      } catch (err) {
        expectations.deletionObserved(key, objectKey(pod));
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  async function createPod(ds: DaemonSet, nodeName: string, hash: string): Promise<void> {
    const template = ds.spec.template;
    const meta = template.metadata ?? {};
    const spec = deepCopy((template.spec ?? {}) as SchedulingSpec);
    spec.affinity = pinToNode(spec, nodeName);
    spec.tolerations = withDaemonTolerations(spec);
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata.name}-`,
        namespace: ds.metadata.namespace,
        labels: { ...(meta.labels ?? {}), [REVISION_HASH_LABEL]: hash },
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
      },
      spec,
    };
    try {
      const created = await ctx.api.create<Pod>(PODS, pod, ds.metadata.namespace);
      recorder.event(
        dsRef(ds),
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata?.name ?? ''} for node ${nodeName}`,
      );
    } catch (err) {
      if (!(isKubeApiError(err, 403) && /terminat/i.test((err as Error).message))) {
        recorder.event(
          dsRef(ds),
          'Warning',
          'FailedCreate',
          `Error creating pod for node ${nodeName}: ${(err as Error).message}`,
        );
      }
      throw err;
    }
  }

  async function deletePod(ds: DaemonSet, pod: Pod, why: string, force: boolean): Promise<void> {
    try {
      await ctx.api.delete(PODS, pod.metadata.name ?? '', pod.metadata.namespace, {
        preconditions: { uid: pod.metadata.uid },
        ...(force ? { gracePeriodSeconds: 0 } : {}),
      });
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      recorder.event(
        dsRef(ds),
        'Warning',
        'FailedDelete',
        `Error deleting pod ${pod.metadata.name}: ${(err as Error).message}`,
      );
      throw err;
    }
    recorder.event(dsRef(ds), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name} (${why})`);
  }

  function computeStatus(
    ds: DaemonSet,
    nodes: Node[],
    byNode: Map<string, Pod[]>,
    hash: string,
    now: number,
  ): DaemonSetStatus {
    const template = (ds.spec.template.spec ?? {}) as SchedulingSpec;
    const minReady = ds.spec.minReadySeconds ?? 0;
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let updated = 0;
    let available = 0;
    for (const node of nodes) {
      const { shouldRun } = nodeEligibility(node, template);
      const here = (byNode.get(node.metadata.name) ?? []).filter((p) => !p.metadata.deletionTimestamp);
      if (shouldRun) desired++;
      if (here.length === 0) continue;
      if (!shouldRun) {
        misscheduled++;
        continue;
      }
      current++;
      const pod = [...here].sort(byCreation)[0] as Pod;
      if (isPodReady(pod)) ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
      if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) updated++;
    }
    return {
      ...(ds.status ?? {}),
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: Math.max(0, desired - available),
    };
  }

  async function writeStatus(ds: DaemonSet, status: DaemonSetStatus): Promise<void> {
    if (jsonEqual(ds.status ?? {}, status)) return;
    const next = deepCopy(ds);
    next.status = status;
    try {
      await ctx.api.updateStatus(DAEMONSETS, next);
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      throw err; // a conflict: the cache is behind, the next sync writes from fresh state
    }
  }

  return controller;
}
