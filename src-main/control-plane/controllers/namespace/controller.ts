// The namespace controller (kube-controller-manager's namespace-controller): a namespace being deleted
// (deletionTimestamp set, phase Terminating, `kubernetes` in spec.finalizers) is emptied — every
// namespaced object of every served kind is deleted with background propagation — and once nothing is
// left, the `kubernetes` finalizer is removed through PUT …/finalize, after which the API server deletes
// the namespace. Pods may take their grace period: the controller looks again when a pod in a
// terminating namespace goes, and every `recheckIntervalMs` while anything remains. Progress is
// reported the way Kubernetes does, as conditions on the namespace status, and as Events.
import type { ObjectMeta, Pod } from '../../../shared/kube/objects';
import { deepCopy, jsonEqual } from '../../../shared/kube/meta';
import { isKubeApiError } from '../../../shared/kube/types';
import type { KubeObjectLike } from '../../../shared/kube/types';
import { RESOURCES } from '../../../shared/resources';
import type { ResourceInfo } from '../../../shared/resources';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { PODS } from '../framework/resources';
import { EVENTS, NAMESPACES } from '../framework/resources';
import { timestamp } from '../nodelifecycle/types';
import { finalizeThroughApi } from './finalize';
import type { FinalizeNamespace } from './finalize';

export const NAMESPACE_CONTROLLER = 'namespace-controller';
export const KUBERNETES_FINALIZER = 'kubernetes';

export interface NamespaceControllerOptions {
  /** Kinds emptied out of a terminating namespace (default: every namespaced kind the API serves). */
  resources?: readonly ResourceInfo[];
  /** Look again this often while content remains (default 1000 ms; pod deletions trigger at once). */
  recheckIntervalMs?: number;
  /** How the finalizer is removed (default: PUT /api/v1/namespaces/NAME/finalize). */
  finalize?: FinalizeNamespace;
}

export interface Namespace extends KubeObjectLike {
  metadata: ObjectMeta & { name: string };
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: NamespaceCondition[] };
}

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface Outcome {
  /** Objects still there, per `plural.group`. */
  remaining: Map<string, number>;
  /** Finalizers holding remaining objects, with how many objects each holds. */
  finalizers: Map<string, number>;
  failures: string[];
  deleted: Map<string, number>;
}

/** The resource name Kubernetes uses in these messages: `pods.`, `replicasets.apps`. */
const groupResource = (r: ResourceInfo) => `${r.plural}.${r.group}`;

function describeCounts(counts: Map<string, number>, noun: string): string {
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} has ${n} ${noun}`)
    .join(', ');
}

/** The five deletion conditions, in Kubernetes' words. */
export function deletionConditions(o: Outcome): Omit<NamespaceCondition, 'lastTransitionTime'>[] {
  return [
    {
      type: 'NamespaceDeletionDiscoveryFailure',
      status: 'False',
      reason: 'ResourcesDiscovered',
      message: 'All resources successfully discovered',
    },
    {
      type: 'NamespaceDeletionGroupVersionParsingFailure',
      status: 'False',
      reason: 'ParsedGroupVersions',
      message: 'All legacy kube types successfully parsed',
    },
    o.failures.length > 0
      ? {
          type: 'NamespaceDeletionContentFailure',
          status: 'True',
          reason: 'ContentDeletionFailed',
          message: `Failed to delete all resource types, ${o.failures.length} remaining: ${o.failures.join(', ')}`,
        }
      : {
          type: 'NamespaceDeletionContentFailure',
          status: 'False',
          reason: 'ContentDeleted',
          message: 'All content successfully deleted, may be waiting on finalization',
        },
    o.remaining.size > 0
      ? {
          type: 'NamespaceContentRemaining',
          status: 'True',
          reason: 'SomeResourcesRemain',
          message: `Some resources are remaining: ${describeCounts(o.remaining, 'resource instances')}`,
        }
      : {
          type: 'NamespaceContentRemaining',
          status: 'False',
          reason: 'ContentRemoved',
          message: 'All content successfully removed',
        },
    o.finalizers.size > 0
      ? {
          type: 'NamespaceFinalizersRemaining',
          status: 'True',
          reason: 'SomeFinalizersRemain',
          message: `Some content in the namespace has finalizers remaining: ${describeCounts(o.finalizers, 'resource instances').replace(/ has /g, ' in ')}`,
        }
      : {
          type: 'NamespaceFinalizersRemaining',
          status: 'False',
          reason: 'ContentHasNoFinalizers',
          message: 'All content-preserving finalizers finished',
        },
  ];
}

export function createNamespaceController(
  ctx: ControllerContext,
  options: NamespaceControllerOptions = {},
): Controller {
  const log = ctx.log.child(NAMESPACE_CONTROLLER);
  const recorder = ctx.recorder(NAMESPACE_CONTROLLER);
  const nsInformer = ctx.informers.informerFor<Namespace>(NAMESPACES);
  const podInformer = ctx.informers.informerFor<Pod>(PODS);
  const recheckMs = options.recheckIntervalMs ?? 1000;
  const finalize = options.finalize ?? finalizeThroughApi(ctx.api);
  // Events go last, so what happened during the deletion can be read until the very end.
  const isEvents = (r: ResourceInfo) => r.group === EVENTS.group && r.plural === EVENTS.plural;
  const all = options.resources ?? RESOURCES.filter((r) => r.namespaced);
  const kinds = [...all.filter((r) => !isEvents(r)), ...all.filter(isEvents)];
  const nsRef = (ns: Namespace): KubeObjectLike => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns.metadata.name, uid: ns.metadata.uid },
  });

  const controller = createQueueController({
    name: NAMESPACE_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = controller.queue;

  const terminating = (ns: Namespace | undefined) => Boolean(ns?.metadata.deletionTimestamp);
  nsInformer.addHandlers({
    onAdd: (ns) => terminating(ns) && queue.add(ns.metadata.name),
    onUpdate: (_old, ns) => terminating(ns) && queue.add(ns.metadata.name),
  });
  podInformer.addHandlers({
    onDelete(pod) {
      const ns = pod.metadata.namespace;
      if (ns && terminating(nsInformer.lister.get(ns))) queue.add(ns);
    },
  });

  async function sync(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const ns = nsInformer.lister.get(name);
    if (!ns || !ns.metadata.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return;

    const outcome = await deleteContent(name);
    await writeConditions(ns, outcome);
    if (outcome.deleted.size > 0) {
      recorder.event(
        nsRef(ns),
        'Normal',
        'DeletingContent',
        `Deleting the content of namespace ${name}: ${describeCounts(outcome.deleted, 'objects').replace(/ has /g, ': ')}`,
      );
    }
    if (outcome.failures.length > 0) {
      recorder.event(
        nsRef(ns),
        'Warning',
        'NamespaceDeletionContentFailure',
        `Failed to delete content of namespace ${name}: ${outcome.failures.join('; ')}`,
      );
      throw new Error(`namespace ${name}: ${outcome.failures.join('; ')}`);
    }
    if (outcome.remaining.size > 0) {
      log.debug('namespace content remains', {
        namespace: name,
        remaining: Object.fromEntries(outcome.remaining),
      });
      return { requeueAfterMs: recheckMs };
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
    try {
      await finalize(name, finalizers);
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      throw err;
    }
    log.info('namespace emptied and finalized', { namespace: name });
    recorder.event(
      nsRef(ns),
      'Normal',
      'NamespaceFinalized',
      `Namespace ${name} is empty: removed the ${KUBERNETES_FINALIZER} finalizer`,
    );
  }

  async function deleteContent(namespace: string): Promise<Outcome> {
    const outcome: Outcome = {
      remaining: new Map(),
      finalizers: new Map(),
      failures: [],
      deleted: new Map(),
    };
    const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
    for (const r of kinds) {
      const gr = groupResource(r);
      let items: KubeObjectLike[];
      try {
        items = (await ctx.api.list<KubeObjectLike>(r, { namespace })).items;
      } catch (err) {
        outcome.failures.push(`${gr}: ${(err as Error).message}`);
        continue;
      }
      if (items.length === 0) continue;
      let deletedHere = 0;
      for (const item of items) {
        const meta = item.metadata as ObjectMeta | undefined;
        if (!meta?.name || meta.deletionTimestamp) continue;
        try {
          await ctx.api.delete(r, meta.name, namespace, {
            propagationPolicy: 'Background',
            preconditions: { uid: meta.uid },
          });
          deletedHere++;
        } catch (err) {
          if (isKubeApiError(err, 404) || isKubeApiError(err, 409)) continue;
          outcome.failures.push(`${gr} "${meta.name}": ${(err as Error).message}`);
        }
      }
      if (deletedHere > 0) bump(outcome.deleted, r.plural, deletedHere);
      // What is still there after the deletes: graceful pods, objects held by finalizers.
      const left = deletedHere > 0 ? (await ctx.api.list<KubeObjectLike>(r, { namespace })).items : items;
      if (left.length === 0) continue;
      bump(outcome.remaining, gr, left.length);
      for (const item of left)
        for (const f of (item.metadata as ObjectMeta).finalizers ?? []) bump(outcome.finalizers, f);
    }
    return outcome;
  }

  async function writeConditions(ns: Namespace, outcome: Outcome): Promise<void> {
    const now = timestamp(ctx.clock.now());
    const old = ns.status?.conditions ?? [];
    const wanted = deletionConditions(outcome).map((c) => {
      const prev = old.find((o) => o.type === c.type);
      return {
        ...c,
        lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now,
      };
    });
    const others = old.filter((o) => !wanted.some((w) => w.type === o.type));
    const conditions = [...others, ...wanted];
    if (jsonEqual(old, conditions)) return;
    const next = deepCopy(ns);
    next.status = { ...next.status, conditions };
    try {
      await ctx.api.updateStatus(NAMESPACES, next);
    } catch (err) {
      // Conditions are informative; a conflict is retried on the next pass.
      if (!isKubeApiError(err, 404) && !isKubeApiError(err, 409)) throw err;
    }
  }

  return controller;
}
