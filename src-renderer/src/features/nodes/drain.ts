// Cordon, uncordon and drain, as `kubectl cordon|uncordon|drain` do them: cordoning sets
// spec.unschedulable; draining cordons, then evicts every pod on the node except those a DaemonSet
// runs (they would come straight back, and they belong on every node) and mirror pods (the node's own
// static pods). Where the server does not serve the eviction subresource, the pod is deleted instead.
import { isKubeApiError } from '../../../../src-main/shared/kube/types';
import type { KubeApi } from '../../../../src-main/shared/kube/types';
import type { Pod } from '../../lib/kube-types';
import { R } from '../../lib/resources';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

export interface DrainEntry {
  pod: Pod;
  namespace: string;
  name: string;
  /** Why this pod needs a second look before the person confirms (it will not come back). */
  warning?: string;
}

export interface DrainPlan {
  node: string;
  evict: DrainEntry[];
  skipped: { namespace: string; name: string; reason: string }[];
}

function controllerOf(pod: Pod): { kind: string; name: string } | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.controller);
}

/** Which pods a drain of `node` evicts, which it leaves, and why. */
export function planDrain(node: string, pods: readonly Pod[]): DrainPlan {
  const plan: DrainPlan = { node, evict: [], skipped: [] };
  for (const pod of pods) {
    if (pod.spec?.nodeName !== node) continue;
    const namespace = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name;
    const owner = controllerOf(pod);
    if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) {
      plan.skipped.push({ namespace, name, reason: 'static (mirror) pod of the node' });
    } else if (owner?.kind === 'DaemonSet') {
      plan.skipped.push({ namespace, name, reason: `runs on every node (DaemonSet ${owner.name})` });
    } else if (pod.metadata.deletionTimestamp) {
      plan.skipped.push({ namespace, name, reason: 'already terminating' });
    } else {
      const phase = pod.status?.phase;
      const finished = phase === 'Succeeded' || phase === 'Failed';
      plan.evict.push({
        pod,
        namespace,
        name,
        ...(!owner && !finished ? { warning: 'not managed by a controller: it will not be re-created' } : {}),
      });
    }
  }
  const byName = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) =>
    a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
  plan.evict.sort(byName);
  plan.skipped.sort(byName);
  return plan;
}

export async function setUnschedulable(api: KubeApi, node: string, unschedulable: boolean): Promise<void> {
  // null removes the field, as `kubectl uncordon` leaves a node with no unschedulable at all.
  await api.patch(
    R.nodes,
    node,
    undefined,
    { spec: { unschedulable: unschedulable ? true : null } },
    'merge',
  );
}

export type EvictionOutcome = 'evicted' | 'deleted' | 'gone' | { failed: string };

/**
 * Whether the answer means "this server has no eviction API" rather than "not now": 404/405/501, or
 * Flotilla's 503 for subresources it lists but does not serve yet (kubectl drain would also need
 * --disable-eviction there).
 */
export function evictionNotServed(err: unknown): boolean {
  if (isKubeApiError(err, 404) || isKubeApiError(err, 405) || isKubeApiError(err, 501)) return true;
  return isKubeApiError(err, 503) && /eviction.*not available/i.test(err.message);
}

/** Evicts one pod; deletes it when eviction is not served here. */
export async function evictPod(api: KubeApi, namespace: string, name: string): Promise<EvictionOutcome> {
  try {
    await api.createSubresource(R.pods, name, namespace, 'eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace },
    });
    return 'evicted';
  } catch (err) {
    if (isKubeApiError(err, 429))
      return { failed: `a disruption budget does not allow it now: ${err.message}` };
    if (!evictionNotServed(err)) return { failed: (err as Error).message ?? String(err) };
  }
  try {
    await api.delete(R.pods, name, namespace);
    return 'deleted';
  } catch (err) {
    if (isKubeApiError(err, 404)) return 'gone';
    return { failed: (err as Error).message ?? String(err) };
  }
}

export interface DrainResult {
  done: { namespace: string; name: string; outcome: EvictionOutcome }[];
  failed: number;
}

/** Cordons the node, then evicts the plan's pods a few at a time, reporting each as it finishes. */
export async function runDrain(
  api: KubeApi,
  plan: DrainPlan,
  onProgress: (done: number, total: number) => void = () => undefined,
  concurrency = 8,
): Promise<DrainResult> {
  await setUnschedulable(api, plan.node, true);
  const result: DrainResult = { done: [], failed: 0 };
  const queue = [...plan.evict];
  const worker = async () => {
    for (let e = queue.shift(); e; e = queue.shift()) {
      const outcome = await evictPod(api, e.namespace, e.name);
      if (typeof outcome === 'object') result.failed++;
      result.done.push({ namespace: e.namespace, name: e.name, outcome });
      onProgress(result.done.length, plan.evict.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return result;
}
