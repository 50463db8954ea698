// The ReplicaSet controller (kube-controller-manager's replicaset controller): keeps the number of
// active pods owned by each ReplicaSet equal to spec.replicas, adopting matching orphans and releasing
// pods that stopped matching, and writes status. Every create and delete is recorded as an Event.
import {
  controllerOf,
  deepCopy,
  jsonEqual,
  objectKey,
  splitKey,
  newControllerRef,
} from '../../../shared/kube/meta';
import type { Pod, ReplicaSet } from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import { slowStartBatch } from '../framework/batch';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { createExpectations } from '../framework/expectations';
import { podOwnersFor } from '../framework/pod-owners';
import { compareForDeletion, isPodActive, isPodReady, requeueForAvailability } from '../framework/pods';
import { PODS, REPLICASETS } from '../framework/resources';
import { calculateReplicaSetStatus } from './status';
import type { ReplicaSetStatus } from './status';

export const REPLICASET_CONTROLLER = 'replicaset-controller';
/** At most this many creates or deletes per sync (kube's burstReplicas). */
export const BURST_REPLICAS = 500;

export function createReplicaSetController(ctx: ControllerContext): Controller {
  const log = ctx.log.child(REPLICASET_CONTROLLER);
  const rsInformer = ctx.informers.informerFor<ReplicaSet>(REPLICASETS);
  const podInformer = ctx.informers.informerFor<Pod>(PODS);
  const expectations = createExpectations(ctx.clock);
  const recorder = ctx.recorder(REPLICASET_CONTROLLER);
  const owners = podOwnersFor<ReplicaSet>(ctx, REPLICASETS, log, recorder);
  const rsRef = owners.ref;

  const controller = createQueueController({
    name: REPLICASET_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = controller.queue;

  function podDeleted(pod: Pod): void {
    const rs = owners.ownerOf(pod);
    if (!rs) return;
    const key = objectKey(rs);
    expectations.deletionObserved(key, objectKey(pod));
    queue.add(key);
  }

  rsInformer.addHandlers({
    onAdd: (rs) => queue.add(objectKey(rs)),
    onUpdate: (_old, rs) => queue.add(objectKey(rs)),
    onDelete: (rs) => {
      expectations.delete(objectKey(rs));
      queue.add(objectKey(rs));
    },
  });

  podInformer.addHandlers({
    onAdd(pod) {
      if (pod.metadata.deletionTimestamp) return podDeleted(pod);
      if (controllerOf(pod)) {
        const rs = owners.ownerOf(pod);
        if (!rs) return;
        expectations.creationObserved(objectKey(rs));
        queue.add(objectKey(rs));
        return;
      }
      for (const rs of owners.matching(pod)) queue.add(objectKey(rs));
    },
    onUpdate(oldPod, pod) {
      if (oldPod.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const labelsChanged = !jsonEqual(oldPod.metadata.labels, pod.metadata.labels);
      if (pod.metadata.deletionTimestamp) {
        podDeleted(pod);
        if (labelsChanged) podDeleted(oldPod);
        return;
      }
      const oldRef = controllerOf(oldPod);
      const ref = controllerOf(pod);
      const refChanged = !jsonEqual(oldRef, ref);
      if (refChanged && oldRef) {
        const old = owners.ownerOf(oldPod);
        if (old) queue.add(objectKey(old));
      }
      if (ref) {
        const rs = owners.ownerOf(pod);
        if (!rs) return;
        queue.add(objectKey(rs));
        // A pod that just became ready becomes available minReadySeconds later: look again then.
        const minReady = rs.spec.minReadySeconds ?? 0;
        if (!isPodReady(oldPod) && isPodReady(pod) && minReady > 0)
          queue.addAfter(objectKey(rs), minReady * 1000 + 100);
        return;
      }
      if (labelsChanged || refChanged) for (const rs of owners.matching(pod)) queue.add(objectKey(rs));
    },
    onDelete: podDeleted,
  });

  async function sync(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { namespace, name } = splitKey(key);
    const cached = rsInformer.lister.get(name, namespace);
    if (!cached) {
      expectations.delete(key);
      return;
    }
    const needsSync = expectations.satisfied(key) && !cached.metadata.deletionTimestamp;
    const pods = await owners.claim(cached, podInformer.lister.list(namespace).filter(isPodActive));
    if (!pods) return;

    let manageError: { reason: 'FailedCreate' | 'FailedDelete'; message: string; err: unknown } | undefined;
    if (needsSync) manageError = await manageReplicas(key, cached, pods);
    const now = ctx.clock.now();
    const status = calculateReplicaSetStatus(cached, pods, now, manageError);
    await writeStatus(cached, status);
    if (manageError) throw manageError.err;
    return requeueForAvailability(pods, cached.spec.minReadySeconds ?? 0, now);
  }

  async function manageReplicas(
    key: string,
    rs: ReplicaSet,
    pods: Pod[],
  ): Promise<{ reason: 'FailedCreate' | 'FailedDelete'; message: string; err: unknown } | undefined> {
    const want = rs.spec.replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      expectations.expectCreations(key, count);
      log.debug('creating pods', { replicaset: key, want, have: pods.length, creating: count });
      const result = await slowStartBatch(count, 1, () => createPod(rs));
      if (result.successes < count) expectations.lowerCreations(key, count - result.successes);
      if (result.firstError !== undefined) {
        return {
          reason: 'FailedCreate',
          message: (result.firstError as Error).message,
          err: result.firstError,
        };
      }
    } else if (diff > 0) {
      const count = Math.min(diff, BURST_REPLICAS);
      const victims = [...pods].sort(compareForDeletion).slice(0, count);
      expectations.expectDeletions(key, victims.map(objectKey));
      log.debug('deleting pods', { replicaset: key, want, have: pods.length, deleting: count });
      let firstError: unknown;
      await Promise.all(
        victims.map(async (pod) => {
          const podName = pod.metadata.name ?? '';
          try {
            await ctx.api.delete(PODS, podName, pod.metadata.namespace, {
              preconditions: { uid: pod.metadata.uid },
            });
            recorder.event(rsRef(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`);
          } catch (err) {
            // This deletion will never be observed: stop waiting for it.
            expectations.deletionObserved(key, objectKey(pod));
            if (isKubeApiError(err, 404)) return;
            recorder.event(rsRef(rs), 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
            firstError ??= err;
          }
        }),
      );
      if (firstError !== undefined)
        return { reason: 'FailedDelete', message: (firstError as Error).message, err: firstError };
    }
    return undefined;
  }

  async function createPod(rs: ReplicaSet): Promise<void> {
    const template = rs.spec.template ?? {};
    const meta = template.metadata ?? {};
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        ...(meta.labels ? { labels: { ...meta.labels } } : {}),
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
        ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')],
      },
      spec: deepCopy(template.spec ?? {}),
    };
    try {
      const created = await ctx.api.create<Pod>(PODS, pod, rs.metadata.namespace);
      recorder.event(rsRef(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? ''}`);
    } catch (err) {
      // Creating in a namespace that is going away is expected; do not shout about it.
      if (!(isKubeApiError(err, 403) && /terminat/i.test((err as Error).message))) {
        recorder.event(rsRef(rs), 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      }
      throw err;
    }
  }

  async function writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<void> {
    if (jsonEqual(rs.status ?? {}, status)) return;
    const next = deepCopy(rs);
    next.status = status;
    try {
      await ctx.api.updateStatus(REPLICASETS, next);
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      if (!isKubeApiError(err, 409)) throw err;
      // The cache is behind: write the same status onto the live object once.
      const fresh = await ctx.api.get<ReplicaSet>(REPLICASETS, rs.metadata.name ?? '', rs.metadata.namespace);
      if (fresh.metadata.uid !== rs.metadata.uid) return;
      fresh.status = {
        ...status,
        observedGeneration: Math.min(status.observedGeneration ?? 0, fresh.metadata.generation ?? 0),
      };
      await ctx.api.updateStatus(REPLICASETS, fresh);
    }
  }

  return controller;
}
