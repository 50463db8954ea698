// The garbage collector (kube-controller-manager's garbagecollector): follows ownerReferences across
// every kind the API serves (from shared/resources, Events excepted as in Kubernetes).
// - Background: a dependent whose owners are all gone is deleted. An owner counts as gone when no
//   object of its kind, name and uid exists — a same-named object with another uid is a different
//   owner (a dangling reference). Absence is confirmed with a live GET, never from the cache alone.
// - Foreground: an owner with deletionTimestamp and the `foregroundDeletion` finalizer has its
//   dependents deleted first; the finalizer is removed once no dependent with blockOwnerDeletion is left.
// - Orphan: an owner with deletionTimestamp and the `orphan` finalizer has its references removed from
//   every dependent, then the finalizer.
// A dependent that still has a live owner keeps living; references to gone owners are dropped from it.
// Every deletion and orphaning is recorded as an Event from `garbage-collector`.
import type { ObjectMeta, OwnerReference } from '../../../shared/kube/objects';
import { jsonEqual } from '../../../shared/kube/meta';
import { isKubeApiError } from '../../../shared/kube/types';
import type { InformerWithState } from '../../../shared/kube/informer';
import type { KubeObjectLike } from '../../../shared/kube/types';
import { apiVersionOf, findResourceByKind, RESOURCES } from '../../../shared/resources';
import type { ResourceInfo } from '../../../shared/resources';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { identityOf, OwnershipGraph, ownerRefsOf, parseIdentity, resourceKey } from './graph';
import type { Identity } from './graph';

export const GARBAGE_COLLECTOR = 'garbage-collector';
export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

export interface GarbageCollectorOptions {
  /** Kinds whose objects are followed (default: every served kind except core Events). */
  resources?: readonly ResourceInfo[];
  /** How many confirmed-gone owner uids are remembered to spare live lookups (default 10,000). */
  absentOwnerCacheSize?: number;
}

type Obj = KubeObjectLike & { metadata?: ObjectMeta };

type OwnerState = 'solid' | 'dangling' | 'waiting' | 'unknown';

/** How an object is named in an Event (informer list items may lack apiVersion and kind). */
const involved = (r: ResourceInfo, obj: Obj): KubeObjectLike => ({
  apiVersion: apiVersionOf(r),
  kind: r.kind,
  metadata: obj.metadata,
});

const kindName = (r: ResourceInfo, obj: Obj) =>
  `${r.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;

export function createGarbageCollector(
  ctx: ControllerContext,
  options: GarbageCollectorOptions = {},
): Controller {
  const log = ctx.log.child(GARBAGE_COLLECTOR);
  const recorder = ctx.recorder(GARBAGE_COLLECTOR);
  const kinds = options.resources ?? RESOURCES.filter((r) => !(r.group === '' && r.plural === 'events'));
  const graph = new OwnershipGraph();
  const informers = new Map<string, { r: ResourceInfo; informer: InformerWithState<Obj> }>();
  const absentOwners = new Set<string>();
  const absentLimit = options.absentOwnerCacheSize ?? 10_000;

  const controller = createQueueController({
    name: GARBAGE_COLLECTOR,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = controller.queue;

  const finalizersOf = (obj: Obj) => obj.metadata?.finalizers ?? [];
  const deletingWith = (obj: Obj | undefined, finalizer: string) =>
    Boolean(obj?.metadata?.deletionTimestamp) && finalizersOf(obj as Obj).includes(finalizer);

  function lookup(id: Identity): { r: ResourceInfo; obj: Obj | undefined } | undefined {
    const { resource, namespace, name } = parseIdentity(id);
    const entry = informers.get(resource);
    if (!entry) return undefined;
    return { r: entry.r, obj: entry.informer.lister.get(name, namespace) };
  }

  /** Owners that wait for their dependents: look at them again when a dependent goes or lets go. */
  function nudgeOwners(uids: string[]): void {
    for (const uid of uids) {
      const id = graph.identityOfUid(uid);
      if (!id) continue;
      const owner = lookup(id)?.obj;
      if (owner?.metadata?.deletionTimestamp) queue.add(id);
    }
  }

  for (const r of kinds) {
    const informer = ctx.informers.informerFor<Obj>(r);
    informers.set(resourceKey(r), { r, informer });
    informer.addHandlers({
      onAdd(obj) {
        const id = identityOf(r, obj);
        graph.upsert(id, obj);
        if (ownerRefsOf(obj).length > 0 || obj.metadata?.deletionTimestamp) queue.add(id);
      },
      onUpdate(old, obj) {
        const id = identityOf(r, obj);
        const { removedOwnerUids } = graph.upsert(id, obj);
        nudgeOwners(removedOwnerUids);
        const refsChanged = JSON.stringify(ownerRefsOf(old)) !== JSON.stringify(ownerRefsOf(obj));
        const deletionChanged =
          old.metadata?.deletionTimestamp !== obj.metadata?.deletionTimestamp ||
          JSON.stringify(finalizersOf(old)) !== JSON.stringify(finalizersOf(obj));
        if (refsChanged || deletionChanged) queue.add(id);
        // A dependent started going away: a foreground owner may be waiting for exactly that.
        if (deletionChanged) nudgeOwners(ownerRefsOf(obj).map((o) => o.uid));
      },
      onDelete(obj) {
        const id = identityOf(r, obj);
        const { ownerUids } = graph.remove(id, obj);
        nudgeOwners(ownerUids);
        for (const dep of graph.dependentsOf(obj.metadata?.uid)) queue.add(dep);
      },
    });
  }

  async function sync(id: Identity): Promise<void> {
    const found = lookup(id);
    if (!found?.obj) return;
    const { r, obj } = found;
    if (deletingWith(obj, FINALIZER_ORPHAN)) return orphanDependents(r, obj);
    if (deletingWith(obj, FINALIZER_FOREGROUND)) return deleteDependentsFirst(r, obj);
    if (obj.metadata?.deletionTimestamp) return;
    const refs = ownerRefsOf(obj);
    if (refs.length === 0) return;
    return processDependent(r, obj, refs);
  }

  // ---------------------------------------------------------------------------------- dependents

  async function ownerState(
    depResource: ResourceInfo,
    dependent: Obj,
    ref: OwnerReference,
  ): Promise<OwnerState> {
    if (absentOwners.has(ref.uid)) return 'dangling';
    const r = findResourceByKind(ref.apiVersion, ref.kind);
    if (!r) return 'unknown';
    const depNs = dependent.metadata?.namespace;
    if (r.namespaced && !depNs) {
      recorder.event(
        involved(depResource, dependent),
        'Warning',
        'OwnerRefInvalidNamespace',
        `ownerRef ${JSON.stringify(ref)} does not exist in namespace ""`,
      );
      return 'dangling';
    }
    const ns = r.namespaced ? depNs : undefined;
    const cached = informers.get(resourceKey(r))?.informer.lister.get(ref.name, ns);
    let owner: Obj | undefined = cached && cached.metadata?.uid === ref.uid ? cached : undefined;
    if (!owner) {
      // The cache may not have seen the owner yet (or may still show a deleted one): ask the server.
      try {
        const live = await ctx.api.get<Obj>(r, ref.name, ns);
        if (live.metadata?.uid === ref.uid) owner = live;
      } catch (err) {
        if (!isKubeApiError(err, 404)) throw err;
      }
    }
    if (!owner) {
      absentOwners.add(ref.uid);
      if (absentOwners.size > absentLimit) absentOwners.delete(absentOwners.values().next().value as string);
      return 'dangling';
    }
    return deletingWith(owner, FINALIZER_FOREGROUND) ? 'waiting' : 'solid';
  }

  async function processDependent(r: ResourceInfo, obj: Obj, refs: OwnerReference[]): Promise<void> {
    const states = await Promise.all(refs.map((ref) => ownerState(r, obj, ref)));
    const has = (s: OwnerState) => states.includes(s);
    if (has('solid') || (has('unknown') && !has('waiting'))) {
      // Still owned: drop references to owners that are gone, stop blocking owners that wait.
      if (!has('dangling') && !has('waiting')) return;
      const next: OwnerReference[] = [];
      refs.forEach((ref, i) => {
        if (states[i] === 'dangling') return;
        next.push(
          states[i] === 'waiting' && ref.blockOwnerDeletion ? { ...ref, blockOwnerDeletion: false } : ref,
        );
      });
      if (!jsonEqual(next, refs)) await patchOwnerRefs(r, obj, refs, next);
      return;
    }
    if (has('unknown')) return;
    const waiting = has('waiting');
    // A dependent that has dependents of its own goes in the foreground too, so the chain is ordered.
    const policy = waiting && graph.hasDependents(obj.metadata?.uid) ? 'Foreground' : 'Background';
    const owners = refs.map((ref) => `${ref.kind} ${ref.name}`).join(', ');
    const why = waiting
      ? `its owner ${owners} is being deleted in the foreground`
      : `its owner ${owners} is gone`;
    await deleteObject(r, obj, policy, `Deleting ${kindName(r, obj)}: ${why}`);
  }

  async function deleteObject(
    r: ResourceInfo,
    obj: Obj,
    policy: 'Foreground' | 'Background',
    message: string,
  ): Promise<void> {
    try {
      await ctx.api.delete(r, obj.metadata?.name ?? '', obj.metadata?.namespace, {
        propagationPolicy: policy,
        preconditions: { uid: obj.metadata?.uid },
      });
    } catch (err) {
      if (isKubeApiError(err, 404) || isKubeApiError(err, 409)) return;
      throw err;
    }
    log.info('deleted dependent', { object: kindName(r, obj), policy });
    recorder.event(involved(r, obj), 'Normal', 'GarbageCollected', message);
  }

  async function patchOwnerRefs(
    r: ResourceInfo,
    obj: Obj,
    before: OwnerReference[],
    after: OwnerReference[],
  ): Promise<void> {
    const patch = [
      { op: 'test', path: '/metadata/uid', value: obj.metadata?.uid },
      { op: 'test', path: '/metadata/ownerReferences', value: obj.metadata?.ownerReferences ?? before },
      after.length > 0
        ? { op: 'replace', path: '/metadata/ownerReferences', value: after }
        : { op: 'remove', path: '/metadata/ownerReferences' },
    ];
    try {
      await ctx.api.patch(r, obj.metadata?.name ?? '', obj.metadata?.namespace, patch, 'json');
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      throw err; // 409/422: changed meanwhile; retried from the fresh cache
    }
  }

  // --------------------------------------------------------------------------------------- owners

  function dependentsOf(owner: Obj): { r: ResourceInfo; obj: Obj; ref: OwnerReference }[] {
    const out: { r: ResourceInfo; obj: Obj; ref: OwnerReference }[] = [];
    const uid = owner.metadata?.uid;
    for (const id of graph.dependentsOf(uid)) {
      const found = lookup(id);
      const ref = found?.obj ? ownerRefsOf(found.obj).find((o) => o.uid === uid) : undefined;
      if (found?.obj && ref) out.push({ r: found.r, obj: found.obj, ref });
    }
    return out;
  }

  async function deleteDependentsFirst(r: ResourceInfo, owner: Obj): Promise<void> {
    const deps = dependentsOf(owner);
    let firstError: unknown;
    for (const dep of deps) {
      if (dep.obj.metadata?.deletionTimestamp) continue;
      const policy = graph.hasDependents(dep.obj.metadata?.uid) ? 'Foreground' : 'Background';
      try {
        await deleteObject(
          dep.r,
          dep.obj,
          policy,
          `Deleting ${kindName(dep.r, dep.obj)}: its owner ${kindName(r, owner)} is being deleted in the foreground`,
        );
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
    const blocking = deps.filter((d) => d.ref.blockOwnerDeletion);
    if (blocking.length > 0) {
      log.debug('foreground deletion waits for dependents', {
        owner: kindName(r, owner),
        blocking: blocking.length,
      });
      return; // a dependent's deletion re-queues the owner
    }
    await removeFinalizer(r, owner, FINALIZER_FOREGROUND);
    recorder.event(
      involved(r, owner),
      'Normal',
      'ForegroundDeletionComplete',
      `All dependents of ${kindName(r, owner)} that block its deletion are gone; removed the ${FINALIZER_FOREGROUND} finalizer`,
    );
  }

  async function orphanDependents(r: ResourceInfo, owner: Obj): Promise<void> {
    const uid = owner.metadata?.uid;
    const deps = dependentsOf(owner);
    for (const dep of deps) {
      const refs = ownerRefsOf(dep.obj);
      await patchOwnerRefs(
        dep.r,
        dep.obj,
        refs,
        refs.filter((o) => o.uid !== uid),
      );
    }
    await removeFinalizer(r, owner, FINALIZER_ORPHAN);
    log.info('orphaned dependents', { owner: kindName(r, owner), dependents: deps.length });
    recorder.event(
      involved(r, owner),
      'Normal',
      'OrphanedDependents',
      `Orphaned ${deps.length} dependent(s) of ${kindName(r, owner)}: removed their owner references, then the ${FINALIZER_ORPHAN} finalizer`,
    );
  }

  async function removeFinalizer(r: ResourceInfo, obj: Obj, finalizer: string): Promise<void> {
    const current = finalizersOf(obj);
    const patch = [
      { op: 'test', path: '/metadata/uid', value: obj.metadata?.uid },
      { op: 'test', path: '/metadata/finalizers', value: current },
      { op: 'replace', path: '/metadata/finalizers', value: current.filter((f) => f !== finalizer) },
    ];
    try {
      await ctx.api.patch(r, obj.metadata?.name ?? '', obj.metadata?.namespace, patch, 'json');
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      throw err;
    }
  }

  return controller;
}
