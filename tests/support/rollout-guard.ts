// Checks a rolling update's promises continuously: on the first list and on every watch event of a
// Deployment's pods, the pods that exist (not terminating) stay within replicas + maxSurge and the
// ready ones at or above replicas - maxUnavailable. It survives a control plane restart: when the
// watch ends or the API is unreachable it lists again (a consistent snapshot, checked too) and
// watches on, so every state it sees while the control plane is up is checked.
import type { Pod } from '../../src-main/shared/kube/objects';
import type { KubeApi } from '../../src-main/shared/kube/types';
import { resourceFor } from '../../src-main/shared/resources';

const PODS = resourceFor('', 'pods');

export interface RolloutBounds {
  namespace: string;
  labelSelector: string;
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
}

export interface RolloutGuard {
  /** Every state that broke a bound, described. */
  readonly violations: string[];
  /** States checked (lists + watch events). */
  checks(): number;
  /** Relists after the first (how often the guard had to reconnect). */
  relists(): number;
  /** The most pods that existed at once, and the fewest ready. */
  extremes(): { maxLive: number; minReady: number };
  stop(): void;
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const isLive = (p: Pod) =>
  !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export function guardRollout(api: KubeApi, bounds: RolloutBounds): RolloutGuard {
  const violations: string[] = [];
  const abort = new AbortController();
  let checks = 0;
  let lists = 0;
  let maxLive = 0;
  let minReady = Infinity;
  const pods = new Map<string, Pod>();

  const check = (where: string) => {
    checks++;
    const live = [...pods.values()].filter(isLive);
    const ready = live.filter(isReady).length;
    maxLive = Math.max(maxLive, live.length);
    minReady = Math.min(minReady, ready);
    if (live.length > bounds.replicas + bounds.maxSurge)
      violations.push(`${where}: ${live.length} pods exist (max ${bounds.replicas + bounds.maxSurge})`);
    if (ready < bounds.replicas - bounds.maxUnavailable)
      violations.push(`${where}: ${ready} pods ready (min ${bounds.replicas - bounds.maxUnavailable})`);
  };

  void (async () => {
    while (!abort.signal.aborted) {
      try {
        const list = await api.list<Pod>(PODS, {
          namespace: bounds.namespace,
          labelSelector: bounds.labelSelector,
        });
        if (abort.signal.aborted) return;
        lists++;
        pods.clear();
        for (const p of list.items) pods.set(p.metadata.name ?? '', p);
        check(`list at RV ${list.metadata.resourceVersion}`);
        await api.watch<Pod>(
          PODS,
          {
            namespace: bounds.namespace,
            labelSelector: bounds.labelSelector,
            resourceVersion: list.metadata.resourceVersion,
            signal: abort.signal,
          },
          (e) => {
            if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
            const name = e.object.metadata.name ?? '';
            if (e.type === 'DELETED') pods.delete(name);
            else pods.set(name, e.object);
            check(`${e.type} ${name} at RV ${e.object.metadata.resourceVersion}`);
          },
        );
      } catch {
        // The control plane is away; nothing can change until it is back. Try again shortly.
      }
      if (!abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  return {
    violations,
    checks: () => checks,
    relists: () => Math.max(0, lists - 1),
    extremes: () => ({ maxLive, minReady }),
    stop: () => abort.abort(),
  };
}
