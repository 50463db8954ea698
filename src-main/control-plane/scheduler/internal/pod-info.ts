// A pod with what scheduling needs precomputed once (requests, host ports, owner), instead of on
// every node it is checked against.
import type { StoredPod as Pod } from '../../../shared/kube/objects';
import { podRequests } from './resources';
import type { Resources } from './resources';

export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

export interface PodInfo {
  pod: Pod;
  uid: string;
  key: string;
  namespace: string;
  labels: Record<string, string>;
  requests: Resources;
  /** Requests with Kubernetes' non-zero defaults, for scoring. */
  nonZeroRequests: Resources;
  hostPorts: HostPort[];
  /** uid of the controller owner (ReplicaSet, StatefulSet…): the workload the default spread groups by. */
  ownerUid?: string;
  priority: number;
}

export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      const port = p.hostPort ?? (pod.spec.hostNetwork ? p.containerPort : 0);
      if (!port) continue;
      out.push({ hostIP: normalizeHostIP(p.hostIP), protocol: p.protocol ?? 'TCP', port });
    }
  }
  return out;
}

/** An unset host IP means every address. */
export function normalizeHostIP(ip: string | undefined): string {
  return !ip || ip === '::' ? '0.0.0.0' : ip;
}

export function newPodInfo(pod: Pod): PodInfo {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? undefined;
  return {
    pod,
    uid: pod.metadata.uid,
    key: `${pod.metadata.namespace}/${pod.metadata.name}`,
    namespace: pod.metadata.namespace,
    labels: pod.metadata.labels ?? {},
    requests: podRequests(pod.spec),
    nonZeroRequests: podRequests(pod.spec, true),
    hostPorts: hostPortsOf(pod),
    ownerUid: owner?.uid,
    priority: pod.spec.priority ?? 0,
  };
}
