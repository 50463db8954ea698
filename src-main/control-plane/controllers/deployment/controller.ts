// The Deployment controller (kube-controller-manager's deployment controller): owns ReplicaSets, one
// per pod template, and moves pods from the old ones to the new one — RollingUpdate within
// maxSurge/maxUnavailable, or Recreate — keeping revisions for `kubectl rollout history/undo`,
// honouring spec.paused, and reporting progress through the conditions `kubectl rollout status` reads.
//
// Surge and availability are judged from the pod cache as well as the ReplicaSets' specs: a
// ReplicaSet counts as max(spec, live pods) toward the surge limit and as min(spec, available pods)
// toward availability. The cache is ordered like the store, so no decision can break the limits as
// seen in the store's own order, even while the ReplicaSet controller is still catching up.
import {
  controllerOf,
  deepCopy,
  jsonEqual,
  newControllerRef,
  objectKey,
  splitKey,
} from '../../../shared/kube/meta';
import type { Deployment, Pod, ReplicaSet } from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import { labelSelectorFromObject, matchesLabelSelectorObject } from '../../../shared/labels';
import type { LabelSelector } from '../../../shared/labels';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { claimObjects } from '../framework/ownership';
import { isPodActive, isPodAvailable, isPodTerminal } from '../framework/pods';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../framework/resources';
import { involved } from '../framework/pod-owners';
import {
  calculateStatus,
  deploymentComplete,
  getCondition,
  newCondition,
  setCondition,
  updateProgressing,
} from './status';
import type { DeploymentStatus } from './status';
import {
  byCreation,
  computeTemplateHash,
  equalIgnoreHash,
  hasProgressDeadline,
  isActive,
  isRecreate,
  isScalingEvent,
  maxRevision,
  maxSurge,
  maxUnavailable,
  POD_TEMPLATE_HASH_LABEL,
  progressDeadlineSeconds,
  proportionalSizes,
  REASON_FOUND_NEW_RS,
  REASON_NEW_RS_CREATED,
  REASON_PAUSED,
  REASON_RESUMED,
  REASON_TIMED_OUT,
  REVISION_ANNOTATION,
  replicasOf,
  revisionHistoryLimit,
  revisionOf,
  rsReplicas,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  splitReplicaSets,
} from './util';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';

type Result = { requeueAfterMs?: number } | void;

export function createDeploymentController(ctx: ControllerContext): Controller {
  const log = ctx.log.child(DEPLOYMENT_CONTROLLER);
  const dInformer = ctx.informers.informerFor<Deployment>(DEPLOYMENTS);
  const rsInformer = ctx.informers.informerFor<ReplicaSet>(REPLICASETS);
  const podInformer = ctx.informers.informerFor<Pod>(PODS);
  const recorder = ctx.recorder(DEPLOYMENT_CONTROLLER);
  const dRef = (d: Deployment) => involved(d, 'apps/v1', 'Deployment');

  const controller = createQueueController({
    name: DEPLOYMENT_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: syncDeployment,
  });
  const queue = controller.queue;

  function ownerDeployment(namespace: string | undefined, rs: ReplicaSet): Deployment | undefined {
    const ref = controllerOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = dInformer.lister.get(ref.name, namespace);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  function enqueueForReplicaSet(rs: ReplicaSet): void {
    const d = ownerDeployment(rs.metadata.namespace, rs);
    if (d) return queue.add(objectKey(d));
    if (controllerOf(rs)) return;
    // An orphan: every Deployment that could adopt it should look.
    for (const dep of dInformer.lister.list(rs.metadata.namespace)) {
      if (matchesLabelSelectorObject(dep.spec.selector, rs.metadata.labels)) queue.add(objectKey(dep));
    }
  }

  function enqueueForPod(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = rsInformer.lister.get(ref.name, pod.metadata.namespace);
    if (rs && rs.metadata.uid === ref.uid) {
      const d = ownerDeployment(rs.metadata.namespace, rs);
      if (d) queue.add(objectKey(d));
    }
  }

  dInformer.addHandlers({
    onAdd: (d) => queue.add(objectKey(d)),
    onUpdate: (_o, d) => queue.add(objectKey(d)),
    onDelete: (d) => queue.add(objectKey(d)),
  });
  rsInformer.addHandlers({
    onAdd: enqueueForReplicaSet,
    onUpdate: (old, rs) => {
      if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
      const oldRef = controllerOf(old);
      if (oldRef && !jsonEqual(oldRef, controllerOf(rs))) enqueueForReplicaSet(old);
      enqueueForReplicaSet(rs);
    },
    onDelete: enqueueForReplicaSet,
  });
  podInformer.addHandlers({
    onAdd: enqueueForPod,
    onUpdate: (old, pod) => {
      if (old.metadata.resourceVersion !== pod.metadata.resourceVersion) enqueueForPod(pod);
    },
    onDelete: enqueueForPod,
  });

  // ----------------------------------------------------------------------------------- pod views

  /** Live (active) and available pods of each ReplicaSet, from the pod cache. */
  function podCounts(
    d: Deployment,
    rsList: readonly ReplicaSet[],
  ): Map<string, { live: number; available: number; any: number }> {
    const byUid = new Map<string, { live: number; available: number; any: number }>();
    for (const rs of rsList) byUid.set(rs.metadata.uid ?? '', { live: 0, available: 0, any: 0 });
    const now = ctx.clock.now();
    const minReady = d.spec.minReadySeconds ?? 0;
    for (const pod of podInformer.lister.list(d.metadata.namespace)) {
      const ref = controllerOf(pod);
      const counts = ref && byUid.get(ref.uid);
      if (!counts) continue;
      if (!isPodTerminal(pod)) counts.any++;
      if (!isPodActive(pod)) continue;
      counts.live++;
      if (isPodAvailable(pod, minReady, now)) counts.available++;
    }
    return byUid;
  }

  // ---------------------------------------------------------------------------------------- sync

  async function syncDeployment(key: string): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const cached = dInformer.lister.get(name, namespace);
    if (!cached) return;
    const d = deepCopy(cached);
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromObject(d.spec.selector);
    } catch (err) {
      recorder.event(dRef(d), 'Warning', 'InvalidSelector', `Invalid selector: ${(err as Error).message}`);
      return;
    }
    if (selector.requirements.length === 0) {
      recorder.event(
        dRef(d),
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      return;
    }

    const rsList = await claimReplicaSets(d, selector);
    if (d.metadata.deletionTimestamp) return syncStatusOnly(d, rsList);

    await checkPausedConditions(d);
    if (d.spec.paused) return syncScaleAndStatus(d, rsList);

    const { newRS, oldRSs } = splitReplicaSets(d, rsList);
    if (isScalingEvent(d, [newRS, ...oldRSs])) return syncScaleAndStatus(d, rsList);

    return isRecreate(d) ? rolloutRecreate(d, rsList) : rolloutRolling(d, rsList);
  }

  async function claimReplicaSets(d: Deployment, selector: LabelSelector): Promise<ReplicaSet[]> {
    return claimObjects<ReplicaSet>({
      api: ctx.api,
      resource: REPLICASETS,
      owner: d,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      selector,
      candidates: rsInformer.lister.list(d.metadata.namespace),
      canAdopt: async () => {
        try {
          const fresh = await ctx.api.get<Deployment>(
            DEPLOYMENTS,
            d.metadata.name ?? '',
            d.metadata.namespace,
          );
          return fresh.metadata.uid === d.metadata.uid && !fresh.metadata.deletionTimestamp;
        } catch {
          return false;
        }
      },
      log,
    });
  }

  async function checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON_TIMED_OUT) return;
    const paused = cond?.reason === REASON_PAUSED;
    const status: DeploymentStatus = deepCopy(d.status ?? {});
    const now = ctx.clock.now();
    if (d.spec.paused && !paused) {
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', REASON_PAUSED, 'Deployment is paused', now),
      );
    } else if (!d.spec.paused && paused) {
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', REASON_RESUMED, 'Deployment is resumed', now),
      );
    } else return;
    d.status = await writeStatus(d, status);
  }

  // -------------------------------------------------------------------------- new RS + revisions

  /**
   * The new ReplicaSet (created when asked and missing) with its revision annotations brought up to
   * date, plus the old ones; the Deployment's own revision annotation follows the new RS.
   */
  async function getAllReplicaSetsAndSyncRevision(
    d: Deployment,
    rsList: readonly ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const { newRS: existing, oldRSs } = splitReplicaSets(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      let newRS = existing;
      const copy = deepCopy(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (minReadyChanged) copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
      if (annotationsChanged || minReadyChanged) newRS = await ctx.api.update<ReplicaSet>(REPLICASETS, copy);
      await syncDeploymentRevision(d, newRS.metadata.annotations?.[REVISION_ANNOTATION]);
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        const status: DeploymentStatus = deepCopy(d.status ?? {});
        setCondition(
          status,
          newCondition(
            'Progressing',
            'True',
            REASON_FOUND_NEW_RS,
            `Found new replica set "${newRS.metadata.name}"`,
            ctx.clock.now(),
          ),
        );
        d.status = await writeStatus(d, status);
      }
      return { newRS, oldRSs };
    }
    if (!create) return { oldRSs };
    return { newRS: await createNewReplicaSet(d, oldRSs, newRevision), oldRSs };
  }

  async function syncDeploymentRevision(d: Deployment, revision: string | undefined): Promise<void> {
    if (!revision || d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    const updated = await ctx.api.patch<Deployment>(
      DEPLOYMENTS,
      d.metadata.name ?? '',
      d.metadata.namespace,
      { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } },
      'merge',
    );
    d.metadata.annotations = updated.metadata.annotations;
    d.metadata.resourceVersion = updated.metadata.resourceVersion;
  }

  async function createNewReplicaSet(
    d: Deployment,
    oldRSs: ReplicaSet[],
    newRevision: number,
  ): Promise<ReplicaSet> {
    const hash = computeTemplateHash(d.spec.template, d.status?.collisionCount);
    const template = deepCopy(d.spec.template);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = deepCopy(d.spec.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const counts = podCounts(d, oldRSs);
    rs.spec.replicas = newReplicaCount(d, oldRSs, undefined, counts);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: ReplicaSet;
    try {
      created = await ctx.api.create<ReplicaSet>(REPLICASETS, rs, d.metadata.namespace);
    } catch (err) {
      if (!isKubeApiError(err, 409)) throw err;
      // Same name: either our own RS that the cache has not shown yet, or a real hash collision.
      const found = await ctx.api.get<ReplicaSet>(REPLICASETS, rs.metadata.name ?? '', d.metadata.namespace);
      if (
        controllerOf(found)?.uid === d.metadata.uid &&
        equalIgnoreHash(found.spec.template, d.spec.template)
      )
        return found;
      const status: DeploymentStatus = deepCopy(d.status ?? {});
      status.collisionCount = (status.collisionCount ?? 0) + 1;
      await writeStatus(d, status);
      throw new Error(
        `hash collision for ReplicaSet ${rs.metadata.name}; retrying with collisionCount ${status.collisionCount}`,
        { cause: err },
      );
    }
    if (rsReplicas(created) > 0) {
      recorder.event(
        dRef(d),
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${rsReplicas(created)}`,
      );
    }
    await syncDeploymentRevision(d, String(newRevision));
    if (hasProgressDeadline(d)) {
      const status: DeploymentStatus = deepCopy(d.status ?? {});
      setCondition(
        status,
        newCondition(
          'Progressing',
          'True',
          REASON_NEW_RS_CREATED,
          `Created new replica set "${created.metadata.name}"`,
          ctx.clock.now(),
        ),
      );
      d.status = await writeStatus(d, status);
    }
    return created;
  }

  // --------------------------------------------------------------------------------- arithmetic

  type Counts = ReturnType<typeof podCounts>;
  const size = (rs: ReplicaSet, counts: Counts) =>
    Math.max(rsReplicas(rs), counts.get(rs.metadata.uid ?? '')?.live ?? 0);
  const available = (rs: ReplicaSet, counts: Counts) =>
    Math.min(rsReplicas(rs), counts.get(rs.metadata.uid ?? '')?.available ?? 0);

  /** How many replicas the new RS may have right now (NewRSNewReplicas). */
  function newReplicaCount(
    d: Deployment,
    allRSs: readonly ReplicaSet[],
    newRS: ReplicaSet | undefined,
    counts: Counts,
  ): number {
    const replicas = replicasOf(d);
    const current = rsReplicas(newRS);
    if (isRecreate(d)) return replicas;
    const maxTotal = replicas + maxSurge(d);
    const total = allRSs.reduce((n, rs) => n + size(rs, counts), 0);
    if (total >= maxTotal) return current;
    return current + Math.max(0, Math.min(maxTotal - total, replicas - current));
  }

  // ---------------------------------------------------------------------------------- scaling

  async function scaleReplicaSet(rs: ReplicaSet, newSize: number, d: Deployment): Promise<ReplicaSet> {
    const oldSize = rsReplicas(rs);
    const copy = deepCopy(rs);
    const annotationsChanged = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    if (oldSize === newSize && !annotationsChanged) return rs;
    // A guarded JSON patch rather than an update: the ReplicaSet controller rewrites status all the
    // time, and a full update would conflict with it; the test op still refuses a stale size.
    const updated = await ctx.api.patch<ReplicaSet>(
      REPLICASETS,
      rs.metadata.name ?? '',
      rs.metadata.namespace,
      [
        { op: 'test', path: '/metadata/uid', value: rs.metadata.uid },
        { op: 'test', path: '/spec/replicas', value: oldSize },
        { op: 'replace', path: '/spec/replicas', value: newSize },
        { op: 'add', path: '/metadata/annotations', value: copy.metadata.annotations },
      ],
      'json',
    );
    if (oldSize !== newSize) {
      const direction = newSize > oldSize ? 'up' : 'down';
      recorder.event(
        dRef(d),
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${direction} replica set ${rs.metadata.name} from ${oldSize} to ${newSize}`,
      );
    }
    return updated;
  }

  // ------------------------------------------------------------------------------ RollingUpdate

  async function rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<Result> {
    const synced = await getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const oldRSs = synced.oldRSs;
    let newRS = synced.newRS;
    const counts = podCounts(d, newRS ? [newRS, ...oldRSs] : oldRSs);
    const allRSs = () => (newRS ? [...oldRSs, newRS] : oldRSs);

    // Scale up the new ReplicaSet as far as maxSurge allows.
    if (newRS) {
      const replicas = replicasOf(d);
      let target = rsReplicas(newRS);
      if (target > replicas) target = replicas;
      else if (target < replicas) target = newReplicaCount(d, allRSs(), newRS, counts);
      if (target !== rsReplicas(newRS)) {
        newRS = await scaleReplicaSet(newRS, target, d);
        return syncRolloutStatus(d, allRSs(), newRS);
      }
    }

    // Scale down old ReplicaSets as far as maxUnavailable allows.
    const scaledDown = await reconcileOldReplicaSets(d, oldRSs, newRS, counts);
    if (scaledDown) return syncRolloutStatus(d, [...scaledDown, ...(newRS ? [newRS] : [])], newRS);

    if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(d, oldRSs);
    return syncRolloutStatus(d, allRSs(), newRS);
  }

  /** Returns the old RSs after scaling them down, or undefined when nothing was scaled. */
  async function reconcileOldReplicaSets(
    d: Deployment,
    oldRSs: ReplicaSet[],
    newRS: ReplicaSet | undefined,
    counts: Counts,
  ): Promise<ReplicaSet[] | undefined> {
    const activeOld = oldRSs.filter(isActive);
    if (activeOld.reduce((n, rs) => n + size(rs, counts), 0) === 0) return undefined;
    const replicas = replicasOf(d);
    const minAvailable = replicas - maxUnavailable(d);
    const all = newRS ? [...oldRSs, newRS] : [...oldRSs];
    const allPods = all.reduce((n, rs) => n + size(rs, counts), 0);
    const newUnavailable = newRS ? Math.max(0, rsReplicas(newRS) - available(newRS, counts)) : 0;
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return undefined;

    const result = new Map(oldRSs.map((rs) => [rs, rs] as [ReplicaSet, ReplicaSet]));
    let changed = false;
    // First drop old replicas that are not available anyway: that costs no availability.
    let cleaned = 0;
    for (const rs of [...activeOld].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break;
      const unhealthy = rsReplicas(rs) - available(rs, counts);
      if (unhealthy <= 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      result.set(rs, await scaleReplicaSet(rs, rsReplicas(rs) - down, d));
      cleaned += down;
      changed = true;
    }
    // Then scale down available ones while availability stays above the minimum.
    const current = () => [...result.values()];
    const availableNow = [...current(), ...(newRS ? [newRS] : [])].reduce(
      (n, rs) => n + available(rs, counts),
      0,
    );
    let budget = Math.min(availableNow - minAvailable, maxScaledDown - cleaned);
    for (const original of [...activeOld].sort(byCreation)) {
      if (budget <= 0) break;
      const rs = result.get(original) as ReplicaSet;
      if (rsReplicas(rs) === 0) continue;
      const down = Math.min(rsReplicas(rs), budget);
      result.set(original, await scaleReplicaSet(rs, rsReplicas(rs) - down, d));
      budget -= down;
      changed = true;
    }
    return changed ? current() : undefined;
  }

  // ----------------------------------------------------------------------------------- Recreate

  async function rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<Result> {
    let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, rsList, false);
    const activeOld = oldRSs.filter(isActive);
    if (activeOld.length) {
      const scaled: ReplicaSet[] = [];
      for (const rs of oldRSs) scaled.push(isActive(rs) ? await scaleReplicaSet(rs, 0, d) : rs);
      return syncRolloutStatus(d, newRS ? [...scaled, newRS] : scaled, newRS);
    }
    // Wait until every old pod is gone before starting new ones.
    const counts = podCounts(d, oldRSs);
    if (oldRSs.some((rs) => (counts.get(rs.metadata.uid ?? '')?.any ?? 0) > 0)) {
      return syncRolloutStatus(d, newRS ? [...oldRSs, newRS] : oldRSs, newRS);
    }
    if (!newRS) ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, rsList, true));
    if (newRS && rsReplicas(newRS) !== replicasOf(d)) newRS = await scaleReplicaSet(newRS, replicasOf(d), d);
    if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(d, oldRSs);
    return syncRolloutStatus(d, newRS ? [...oldRSs, newRS] : oldRSs, newRS);
  }

  // ------------------------------------------------------------------------- scaling / paused

  async function syncScaleAndStatus(d: Deployment, rsList: ReplicaSet[]): Promise<Result> {
    const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, rsList, false);
    const scaled = await scale(d, newRS, oldRSs);
    if (d.spec.paused) await cleanupDeployment(d, scaled.oldRSs);
    return syncStatusOnly(d, [...scaled.oldRSs, ...(scaled.newRS ? [scaled.newRS] : [])], scaled.newRS);
  }

  async function scale(
    d: Deployment,
    newRS: ReplicaSet | undefined,
    oldRSs: ReplicaSet[],
  ): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const replicas = replicasOf(d);
    const all = [...oldRSs, ...(newRS ? [newRS] : [])];
    const active = all.filter(isActive);
    let single: ReplicaSet | undefined;
    if (active.length === 1) single = active[0];
    else if (active.length === 0) single = newRS ?? [...oldRSs].sort(byCreation).at(-1);
    const unchanged = { ...(newRS ? { newRS } : {}), oldRSs };
    if (single) {
      if (rsReplicas(single) === replicas) return unchanged;
      return replaceIn(unchanged, single, await scaleReplicaSet(single, replicas, d));
    }
    // The new RS is saturated: the old ones can go.
    if (newRS && rsReplicas(newRS) === replicas && (newRS.status?.availableReplicas ?? 0) === replicas) {
      const next: ReplicaSet[] = [];
      for (const rs of oldRSs) next.push(isActive(rs) ? await scaleReplicaSet(rs, 0, d) : rs);
      return { newRS, oldRSs: next };
    }
    if (isRecreate(d)) return unchanged;
    let result: { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } = unchanged;
    for (const [rs, n] of proportionalSizes(d, active)) {
      if (n !== rsReplicas(rs)) result = replaceIn(result, rs, await scaleReplicaSet(rs, n, d));
    }
    return result;
  }

  function replaceIn(r: { newRS?: ReplicaSet; oldRSs: ReplicaSet[] }, rs: ReplicaSet, next: ReplicaSet) {
    return {
      ...(r.newRS ? { newRS: r.newRS === rs ? next : r.newRS } : {}),
      oldRSs: r.oldRSs.map((o) => (o === rs ? next : o)),
    };
  }

  // ------------------------------------------------------------------------------------ cleanup

  async function cleanupDeployment(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = revisionHistoryLimit(d);
    const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    let excess = alive.length - limit;
    if (excess <= 0) return;
    const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of byRevision) {
      if (excess <= 0) break;
      const idle = rsReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0;
      const observed = (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0);
      if (!idle || !observed) continue;
      try {
        await ctx.api.delete(REPLICASETS, rs.metadata.name ?? '', rs.metadata.namespace, {
          preconditions: { uid: rs.metadata.uid },
        });
        log.info('deleted old replica set past the revision history limit', {
          deployment: d.metadata.name,
          replicaset: rs.metadata.name,
        });
      } catch (err) {
        if (!isKubeApiError(err, 404)) throw err;
      }
      excess--;
    }
  }

  // ------------------------------------------------------------------------------------- status

  async function syncStatusOnly(d: Deployment, rsList: ReplicaSet[], newRSArg?: ReplicaSet): Promise<Result> {
    const newRS = newRSArg ?? splitReplicaSets(d, rsList).newRS;
    const status = calculateStatus(d, rsList, newRS, ctx.clock.now());
    await writeStatus(d, status);
  }

  async function syncRolloutStatus(
    d: Deployment,
    allRSs: ReplicaSet[],
    newRS: ReplicaSet | undefined,
  ): Promise<Result> {
    const now = ctx.clock.now();
    const status = calculateStatus(d, allRSs, newRS, now);
    updateProgressing(d, status, newRS, now);
    const cond = getCondition(status, 'Progressing');
    if (
      cond?.reason === REASON_TIMED_OUT &&
      getCondition(d.status, 'Progressing')?.reason !== REASON_TIMED_OUT
    ) {
      recorder.event(
        dRef(d),
        'Warning',
        REASON_TIMED_OUT,
        `Deployment "${d.metadata.name}" has timed out progressing.`,
      );
    }
    await writeStatus(d, status);
    // Without new events a stuck rollout would never be noticed: come back at its deadline.
    if (
      cond &&
      hasProgressDeadline(d) &&
      cond.reason !== REASON_TIMED_OUT &&
      !deploymentComplete(d, status)
    ) {
      const from = Date.parse(cond.lastUpdateTime ?? '');
      if (Number.isFinite(from)) {
        const after = from + progressDeadlineSeconds(d) * 1000 - now;
        return { requeueAfterMs: Math.max(1000, after + 1000) };
      }
    }
    return undefined;
  }

  /** Writes the status if it changed; returns what is now stored. */
  async function writeStatus(d: Deployment, status: DeploymentStatus): Promise<DeploymentStatus> {
    if (jsonEqual(d.status ?? {}, status)) return status;
    const next = deepCopy(d);
    next.status = status;
    try {
      const updated = await ctx.api.updateStatus<Deployment>(DEPLOYMENTS, next);
      d.metadata.resourceVersion = updated.metadata.resourceVersion;
      return updated.status ?? status;
    } catch (err) {
      if (isKubeApiError(err, 404)) return status;
      throw err;
    }
  }

  return controller;
}
