// Which nodes a DaemonSet's pod belongs on (daemon/util and the daemonset controller's
// nodeShouldRunDaemonPod): the template's nodeName, nodeSelector and required node affinity must
// match the node, and its taints must be tolerated — NoSchedule and NoExecute ones for a new pod,
// only NoExecute ones for a pod already there. Pure.
import { nodeSelectorAndAffinityMatch } from '../../../shared/kube/node-selectors';
import type { Node, SchedulingSpec, Toleration } from '../../../shared/kube/objects';
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
  if (
    !nodeSelectorAndAffinityMatch(template, { name: node.metadata.name, labels: node.metadata.labels ?? {} })
  ) {
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
