// The scheduler's view of the cluster: nodes and the pods on them, including pods it has assumed
// onto a node before the binding is confirmed, so in-flight bindings already use up room.
// Assume on bind start, confirm when the informer shows the pod bound, forget when binding fails.
import type { Node, StoredPod as Pod } from '../../../shared/kube/objects';
import { NodeInfo } from './node-info';
import { newPodInfo } from './pod-info';
import type { PodInfo } from './pod-info';

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
}

export class CacheError extends Error {
  constructor(
    readonly code: 'PodAlreadyInCache' | 'PodNotAssumed',
    message: string,
  ) {
    super(message);
    this.name = 'CacheError';
  }
}

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();
  private list: NodeInfo[] | undefined;

  /** Nodes with a Node object, in a stable order (insertion). Rebuilt only when nodes come or go. */
  nodes(): readonly NodeInfo[] {
    this.list ??= [...this.infos.values()].filter((n) => n.node !== undefined);
    return this.list;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const n = this.infos.get(name);
    return n?.node ? n : undefined;
  }

  nodeCount(): number {
    return this.nodes().length;
  }

  addNode(node: Node): NodeInfo {
    let info = this.infos.get(node.metadata.name);
    if (info) info.setNode(node);
    else {
      info = new NodeInfo(node.metadata.name, node);
      this.infos.set(info.name, info);
    }
    this.list = undefined;
    return info;
  }

  updateNode(node: Node): NodeInfo {
    const info = this.infos.get(node.metadata.name);
    if (info?.node) {
      info.setNode(node);
      return info;
    }
    return this.addNode(node);
  }

  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) return;
    // Pods still bound to it keep a placeholder until their own deletion arrives, so that a node
    // re-created under the same name sees them.
    if (info.pods.size > 0) info.node = undefined;
    else this.infos.delete(name);
    this.list = undefined;
  }

  private infoFor(nodeName: string): NodeInfo {
    let info = this.infos.get(nodeName);
    if (!info) {
      info = new NodeInfo(nodeName);
      this.infos.set(nodeName, info);
    }
    return info;
  }

  private place(state: PodState): void {
    this.podStates.set(state.info.uid, state);
    this.infoFor(state.nodeName).addPod(state.info);
  }

  private unplace(uid: string): PodState | undefined {
    const state = this.podStates.get(uid);
    if (!state) return undefined;
    this.podStates.delete(uid);
    const info = this.infos.get(state.nodeName);
    info?.removePod(uid);
    if (info && !info.node && info.pods.size === 0) this.infos.delete(info.name);
    return state;
  }

  /** Counts the pod against the node before the API server has confirmed the binding. */
  assumePod(info: PodInfo, nodeName: string): void {
    if (this.podStates.has(info.uid)) {
      throw new CacheError('PodAlreadyInCache', `pod ${info.key} is already in the scheduler cache`);
    }
    this.place({ info, nodeName, assumed: true });
  }

  /** Binding failed: give the room back. */
  forgetPod(uid: string): void {
    const state = this.podStates.get(uid);
    if (!state) return;
    if (!state.assumed)
      throw new CacheError('PodNotAssumed', `pod ${state.info.key} was confirmed, not assumed`);
    this.unplace(uid);
  }

  isAssumed(uid: string): boolean {
    return this.podStates.get(uid)?.assumed === true;
  }

  has(uid: string): boolean {
    return this.podStates.has(uid);
  }

  /** An assigned pod seen by the informer (added or updated): confirms an assumed pod. */
  upsertPod(pod: Pod): void {
    const nodeName = pod.spec.nodeName;
    if (!nodeName) return;
    const uid = pod.metadata.uid;
    const prev = this.podStates.get(uid);
    if (prev && !prev.assumed && prev.nodeName === nodeName && prev.info.pod === pod) return;
    this.unplace(uid);
    this.place({ info: newPodInfo(pod), nodeName, assumed: false });
  }

  removePod(uid: string): void {
    this.unplace(uid);
  }

  /** Pods counted in the cache (assumed and confirmed), for tests and metrics. */
  podCount(): { assumed: number; bound: number } {
    let assumed = 0;
    for (const s of this.podStates.values()) if (s.assumed) assumed++;
    return { assumed, bound: this.podStates.size - assumed };
  }
}
