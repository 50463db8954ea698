// One node and the pods on it (bound or assumed), with running totals so a filter or score is O(1)
// per node: requested resources, host ports in use, and pods per workload owner.
import type { Node, Taint } from '../../../shared/kube/objects';
import type { HostPort, PodInfo } from './pod-info';
import { nodeAllocatable } from './resources';
import type { Allocatable, Resources } from './resources';

export class NodeInfo {
  node: Node | undefined;
  name: string;
  labels: Record<string, string> = {};
  taints: readonly Taint[] = [];
  unschedulable = false;
  allocatable: Allocatable = { milliCPU: 0, memory: 0, pods: 0 };
  readonly requested: Resources = { milliCPU: 0, memory: 0 };
  readonly nonZeroRequested: Resources = { milliCPU: 0, memory: 0 };
  readonly pods = new Map<string, PodInfo>();
  /** `protocol/port` → host IPs using it (with multiplicity). */
  readonly usedPorts = new Map<string, string[]>();
  readonly ownerCounts = new Map<string, number>();

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata.labels ?? {};
    this.taints = node.spec?.taints ?? [];
    this.unschedulable = node.spec?.unschedulable === true;
    this.allocatable = nodeAllocatable(node.status);
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.uid)) this.removePod(p.uid);
    this.pods.set(p.uid, p);
    this.account(p, 1);
  }

  removePod(uid: string): PodInfo | undefined {
    const p = this.pods.get(uid);
    if (!p) return undefined;
    this.pods.delete(uid);
    this.account(p, -1);
    return p;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    this.requested.milliCPU += sign * p.requests.milliCPU;
    this.requested.memory += sign * p.requests.memory;
    this.nonZeroRequested.milliCPU += sign * p.nonZeroRequests.milliCPU;
    this.nonZeroRequested.memory += sign * p.nonZeroRequests.memory;
    for (const hp of p.hostPorts) {
      const key = `${hp.protocol}/${hp.port}`;
      const ips = this.usedPorts.get(key) ?? [];
      if (sign > 0) ips.push(hp.hostIP);
      else ips.splice(ips.indexOf(hp.hostIP), 1);
      if (ips.length > 0) this.usedPorts.set(key, ips);
      else this.usedPorts.delete(key);
    }
    if (p.ownerUid) {
      const n = (this.ownerCounts.get(p.ownerUid) ?? 0) + sign;
      if (n > 0) this.ownerCounts.set(p.ownerUid, n);
      else this.ownerCounts.delete(p.ownerUid);
    }
  }

  /** True if the port is taken for that address: 0.0.0.0 conflicts with every address and vice versa. */
  portInUse(hp: HostPort): boolean {
    const ips = this.usedPorts.get(`${hp.protocol}/${hp.port}`);
    if (!ips) return false;
    if (hp.hostIP === '0.0.0.0') return true;
    return ips.some((ip) => ip === '0.0.0.0' || ip === hp.hostIP);
  }
}
