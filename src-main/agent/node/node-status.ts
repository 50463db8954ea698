// The Node's status computed from what the agent measured: capacity and allocatable, addresses,
// nodeInfo and the conditions the kubelet reports (Ready, MemoryPressure, DiskPressure, PIDPressure),
// plus ServiceProxyReady for the agent's service proxy. Pure: the same facts give the same status, and
// `significantlyDifferent` tells the heartbeat whether a write is due before the periodic one.
import type { MachineFacts } from './machine';
import type { NodeAddress, NodeCondition, NodeStatus } from './types';

/** Eviction-style thresholds (kubelet defaults: memory.available<100Mi, nodefs.available<10%). */
export const PRESSURE_THRESHOLDS = {
  memoryAvailableBytes: 100 * 1024 * 1024,
  diskAvailableFraction: 0.1,
  /** Fewer than this share of pid_max left. */
  pidAvailableFraction: 0.05,
} as const;

export const MAX_PODS = 110;

export interface NodeHealth {
  /** Docker answered; its version (`docker://VERSION`). */
  runtime: { ok: true; version: string } | { ok: false; message: string };
  /** The pod network exists on the node's pod CIDR. */
  podNetwork: { ready: true } | { ready: false; message: string };
  /** Undefined: the proxy is disabled by configuration. */
  proxy?: { ready: true } | { ready: false; reason: string; message: string };
}

export interface NodeStatusInput {
  facts: MachineFacts;
  health: NodeHealth;
  port: number;
  agentVersion: string;
  /** The conditions last written (for lastTransitionTime). */
  previous?: NodeCondition[];
  now: string;
}

export function cpuQuantity(cores: number): string {
  const milli = Math.floor(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

export function kibQuantity(bytes: number): string {
  return `${Math.floor(Math.max(0, bytes) / 1024)}Ki`;
}

export function capacityOf(facts: MachineFacts): Record<string, string> {
  return {
    cpu: cpuQuantity(facts.cpuCores),
    memory: kibQuantity(facts.memoryBytes),
    pods: String(MAX_PODS),
    'ephemeral-storage': kibQuantity(facts.diskBytes),
  };
}

/** Capacity minus what eviction keeps free (as the kubelet computes allocatable with no reservations). */
export function allocatableOf(facts: MachineFacts): Record<string, string> {
  return {
    cpu: cpuQuantity(facts.cpuCores),
    memory: kibQuantity(facts.memoryBytes - PRESSURE_THRESHOLDS.memoryAvailableBytes),
    pods: String(MAX_PODS),
    'ephemeral-storage': String(
      Math.floor(facts.diskBytes * (1 - PRESSURE_THRESHOLDS.diskAvailableFraction)),
    ),
  };
}

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  previous: NodeCondition[] | undefined,
  now: string,
): NodeCondition {
  const before = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime:
      before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
    reason,
    message,
  };
}

const MiB = 1024 * 1024;

export function nodeConditions(input: Omit<NodeStatusInput, 'port' | 'agentVersion'>): NodeCondition[] {
  const { facts, health, previous, now } = input;
  const memoryPressure = facts.memoryAvailableBytes < PRESSURE_THRESHOLDS.memoryAvailableBytes;
  const diskPressure =
    facts.diskBytes > 0 &&
    facts.diskAvailableBytes / facts.diskBytes < PRESSURE_THRESHOLDS.diskAvailableFraction;
  const pidPressure =
    facts.pidMax - facts.processes < facts.pidMax * PRESSURE_THRESHOLDS.pidAvailableFraction;

  const notReady: string[] = [];
  if (!health.runtime.ok) notReady.push(`container runtime is down: ${health.runtime.message}`);
  if (!health.podNetwork.ready)
    notReady.push(`container runtime network not ready: ${health.podNetwork.message}`);

  const out: NodeCondition[] = [
    memoryPressure
      ? condition(
          'MemoryPressure',
          'True',
          'KubeletHasInsufficientMemory',
          `agent has insufficient memory available: ${Math.round(facts.memoryAvailableBytes / MiB)} MiB free, threshold ${PRESSURE_THRESHOLDS.memoryAvailableBytes / MiB} MiB`,
          previous,
          now,
        )
      : condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'agent has sufficient memory available',
          previous,
          now,
        ),
    diskPressure
      ? condition(
          'DiskPressure',
          'True',
          'KubeletHasDiskPressure',
          `agent has disk pressure: ${Math.round((facts.diskAvailableBytes / facts.diskBytes) * 100)}% of the root dir's filesystem free, threshold ${PRESSURE_THRESHOLDS.diskAvailableFraction * 100}%`,
          previous,
          now,
        )
      : condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'agent has no disk pressure',
          previous,
          now,
        ),
    pidPressure
      ? condition(
          'PIDPressure',
          'True',
          'KubeletHasInsufficientPID',
          `agent has insufficient PID available: ${facts.processes} of ${facts.pidMax} in use`,
          previous,
          now,
        )
      : condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'agent has sufficient PID available',
          previous,
          now,
        ),
    notReady.length
      ? condition('Ready', 'False', 'KubeletNotReady', notReady.join('; '), previous, now)
      : condition('Ready', 'True', 'KubeletReady', 'agent is posting ready status', previous, now),
  ];
  if (health.proxy) {
    out.push(
      health.proxy.ready
        ? condition(
            'ServiceProxyReady',
            'True',
            'ServiceProxyReady',
            'service rules are installed (iptables)',
            previous,
            now,
          )
        : condition('ServiceProxyReady', 'False', health.proxy.reason, health.proxy.message, previous, now),
    );
  }
  return out;
}

export function nodeAddresses(facts: MachineFacts): NodeAddress[] {
  return [
    { type: 'InternalIP', address: facts.internalIP },
    { type: 'Hostname', address: facts.hostname },
  ];
}

export function buildNodeStatus(input: NodeStatusInput): NodeStatus {
  const { facts, health } = input;
  return {
    capacity: capacityOf(facts),
    allocatable: allocatableOf(facts),
    conditions: nodeConditions(input),
    addresses: nodeAddresses(facts),
    daemonEndpoints: { kubeletEndpoint: { Port: input.port } },
    nodeInfo: {
      machineID: facts.machineID,
      systemUUID: facts.machineID,
      bootID: facts.bootID,
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: health.runtime.ok ? `docker://${health.runtime.version}` : 'docker://unknown',
      kubeletVersion: `flotilla-agent/${input.agentVersion}`,
      kubeProxyVersion: `flotilla-agent/${input.agentVersion}`,
      operatingSystem: facts.operatingSystem,
      architecture: facts.architecture,
    },
  };
}

/** The status without heartbeat times: what must be written as soon as it changes. */
function essence(status: NodeStatus): unknown {
  return {
    ...status,
    conditions: (status.conditions ?? []).map(({ lastHeartbeatTime: _h, lastTransitionTime: _t, ...c }) => c),
  };
}

export function significantlyDifferent(a: NodeStatus | undefined, b: NodeStatus): boolean {
  return !a || JSON.stringify(essence(a)) !== JSON.stringify(essence(b));
}

/** Labels every node carries (the kubelet sets the same well-known ones). */
export function wellKnownLabels(
  nodeName: string,
  facts: Pick<MachineFacts, 'operatingSystem' | 'architecture'>,
) {
  return {
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/os': facts.operatingSystem,
    'kubernetes.io/arch': facts.architecture,
    'beta.kubernetes.io/os': facts.operatingSystem,
    'beta.kubernetes.io/arch': facts.architecture,
  };
}
