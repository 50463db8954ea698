// DefaultTolerationSeconds admission: every new pod tolerates a not-ready or unreachable node for a
// while before the node lifecycle controller evicts it — unless it says otherwise itself. The
// Kubernetes default is 300 s; a desktop cluster of a few machines wants its pods back sooner (see
// the README on failure timings), so the API server is told the number.
import type { KubeObject } from '../kinds/types';

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

interface Toleration {
  key?: string;
  operator?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export function addDefaultTolerations(pod: KubeObject, tolerationSeconds: number): void {
  const spec = (pod.spec ?? (pod.spec = {})) as { tolerations?: Toleration[] };
  const tolerations = spec.tolerations ?? [];
  // A toleration with no key and operator Exists tolerates everything; one for the key with effect
  // NoExecute (or any effect) already decides how long the pod stays.
  const covers = (key: string) =>
    tolerations.some(
      (t) =>
        (t.key === key || (t.key === undefined && t.operator === 'Exists')) &&
        (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute'),
    );
  for (const key of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!covers(key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds });
  }
  spec.tolerations = tolerations;
}
