// Nodes as table rows: readiness, roles, addresses, and how much of each node the pods on it have
// asked for (their requests) against what the node can give (allocatable) and has (capacity).
import { cpuMillicores, memoryBytes } from '../../../../src-main/shared/quantity';
import { compareValues, timestampMs } from '../../lib/format';
import type { Node, Pod } from '../../lib/kube-types';
import type { Tone } from '../../lib/tone';

export interface Usage {
  requested: number;
  allocatable: number;
  capacity: number;
}

export interface NodeRow {
  key: string;
  name: string;
  status: string;
  tone: Tone;
  roles: string;
  internalIP: string;
  podCIDR: string;
  osArch: string;
  agentVersion: string;
  cpu: Usage;
  memory: Usage;
  pods: number;
  podCapacity: number;
  created: number;
  node: Node;
}

function safe(fn: (v: string) => number, value: string | undefined): number {
  if (value === undefined) return 0;
  try {
    return fn(value);
  } catch {
    return 0;
  }
}

export function nodeStatus(node: Node): { status: string; tone: Tone } {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  let status = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  let tone: Tone = status === 'Ready' ? 'good' : status === 'NotReady' ? 'bad' : 'warn';
  if (node.spec?.unschedulable) {
    status += ',SchedulingDisabled';
    if (tone === 'good') tone = 'warn';
  }
  return { status, tone };
}

export function nodeRoles(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith('node-role.kubernetes.io/'))
      roles.add(key.slice('node-role.kubernetes.io/'.length) || value);
    if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

/** Pods that still hold resources on a node (not finished). */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function podRequests(pod: Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    cpu += safe(cpuMillicores, c.resources?.requests?.cpu);
    memory += safe(memoryBytes, c.resources?.requests?.memory);
  }
  return { cpu, memory };
}

export function nodeRows(nodes: readonly Node[], pods: readonly Pod[]): NodeRow[] {
  const byNode = new Map<string, { cpu: number; memory: number; count: number }>();
  for (const pod of pods) {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || !isActivePod(pod)) continue;
    const sum = byNode.get(nodeName) ?? { cpu: 0, memory: 0, count: 0 };
    const req = podRequests(pod);
    sum.cpu += req.cpu;
    sum.memory += req.memory;
    sum.count++;
    byNode.set(nodeName, sum);
  }
  return nodes
    .map((node) => {
      const { status, tone } = nodeStatus(node);
      const alloc = node.status?.allocatable ?? {};
      const cap = node.status?.capacity ?? {};
      const used = byNode.get(node.metadata.name) ?? { cpu: 0, memory: 0, count: 0 };
      const info = node.status?.nodeInfo ?? {};
      return {
        key: node.metadata.uid ?? node.metadata.name,
        name: node.metadata.name,
        status,
        tone,
        roles: nodeRoles(node),
        internalIP: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
        podCIDR: node.spec?.podCIDRs?.join(', ') || node.spec?.podCIDR || '',
        osArch:
          info.operatingSystem || info.architecture
            ? `${info.operatingSystem ?? '?'}/${info.architecture ?? '?'}`
            : '',
        agentVersion: info.kubeletVersion ?? '',
        cpu: {
          requested: used.cpu,
          allocatable: safe(cpuMillicores, alloc.cpu),
          capacity: safe(cpuMillicores, cap.cpu),
        },
        memory: {
          requested: used.memory,
          allocatable: safe(memoryBytes, alloc.memory),
          capacity: safe(memoryBytes, cap.memory),
        },
        pods: used.count,
        podCapacity: safe(Number, alloc.pods ?? cap.pods),
        created: timestampMs(node.metadata.creationTimestamp),
        node,
      };
    })
    .sort((a, b) => compareValues(a.name, b.name));
}
