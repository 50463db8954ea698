// Which nodes a DaemonSet's pod belongs on (daemon/util and the daemonset controller's
// nodeShouldRunDaemonPod): the template's nodeName, nodeSelector and required node affinity must
// match the node, and its taints must be tolerated — NoSchedule and NoExecute ones for a new pod,
// only NoExecute ones for a pod already there. Pure.
import type {
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  SchedulingSpec,
  Toleration,
} from '../nodelifecycle/types';
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  untoleratedTaints,
} from '../nodelifecycle/taints';

/** The tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations). */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  return [
    { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
    ...(hostNetwork
      ? [{ key: TAINT_NETWORK_UNAVAILABLE, operator: 'Exists' as const, effect: 'NoSchedule' as const }]
      : []),
  ];
}

/** The template's tolerations plus the daemon ones it does not already have. */
export function withDaemonTolerations(spec: SchedulingSpec): Toleration[] {
  const own = spec.tolerations ?? [];
  const extra = daemonTolerations(spec.hostNetwork === true).filter(
    (d) =>
      !own.some((t) => t.key === d.key && t.effect === d.effect && (t.operator ?? 'Equal') === d.operator),
  );
  return [...own, ...extra];
}

function matchesRequirement(value: string | undefined, req: NodeSelectorRequirement): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(value);
      const bound = Number(values[0]);
      if (value === undefined || !Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return req.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

export function matchesTerm(node: Node, term: NodeSelectorTerm): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return (
    exprs.every((e) => matchesRequirement(labels[e.key], e)) &&
    fields.every((f) => f.key === 'metadata.name' && matchesRequirement(node.metadata.name, f))
  );
}

export function matchesNodeSelectorAndAffinity(node: Node, spec: SchedulingSpec): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return (required.nodeSelectorTerms ?? []).some((t) => matchesTerm(node, t));
  return true;
}

export interface Eligibility {
  /** A daemon pod should be created here if there is none. */
  shouldRun: boolean;
  /** A daemon pod already here may stay. */
  shouldContinueRunning: boolean;
  /** Why not, for events and status. */
  reason?: string;
}

export function nodeEligibility(node: Node, template: SchedulingSpec): Eligibility {
  if (template.nodeName && template.nodeName !== node.metadata.name) {
    return {
      shouldRun: false,
      shouldContinueRunning: false,
      reason: `the template is pinned to node ${template.nodeName}`,
    };
  }
  if (!matchesNodeSelectorAndAffinity(node, template)) {
    return {
      shouldRun: false,
      shouldContinueRunning: false,
      reason: "the node didn't match the pod's node affinity/selector",
    };
  }
  const tolerations = withDaemonTolerations(template);
  const noExecute = untoleratedTaints(node.spec?.taints, tolerations, ['NoExecute']);
  if (noExecute.length > 0)
    return {
      shouldRun: false,
      shouldContinueRunning: false,
      reason: `untolerated taint ${noExecute[0]?.key}`,
    };
  const noSchedule = untoleratedTaints(node.spec?.taints, tolerations, ['NoSchedule']);
  if (noSchedule.length > 0)
    return {
      shouldRun: false,
      shouldContinueRunning: true,
      reason: `untolerated taint ${noSchedule[0]?.key}`,
    };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is for: where it is bound, or the node its required affinity names. */
export function targetNodeOf(pod: { spec?: SchedulingSpec }): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** The affinity that pins a daemon pod to its node (ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function pinToNode(spec: SchedulingSpec, nodeName: string): SchedulingSpec['affinity'] {
  const affinity = { ...(spec.affinity ?? {}) };
  affinity.nodeAffinity = {
    ...(affinity.nodeAffinity ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
    },
  };
  return affinity;
}
