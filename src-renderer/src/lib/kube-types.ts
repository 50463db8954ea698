// The fields of each kind that the UI reads. Objects come from the API as they are; these types
// only name what the views touch (everything else passes through untouched).
import type { KubeObjectLike, ObjectMetaLike } from '../../../src-main/shared/kube/types';
import type { MachineSpec, MachineStatus } from '../../../src-main/shared/machine';

export interface Meta extends ObjectMetaLike {
  name: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
  finalizers?: string[];
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
}

interface Obj extends KubeObjectLike {
  metadata: Meta;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    reason?: string;
    exitCode?: number;
    signal?: number;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
  };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
  image?: string;
  imageID?: string;
  started?: boolean;
}

export interface PodContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string; hostPort?: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface Pod extends Obj {
  spec?: {
    nodeName?: string;
    containers?: PodContainer[];
    initContainers?: PodContainer[];
    readinessGates?: unknown[];
    tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    hostIP?: string;
    startTime?: string;
    qosClass?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface Node extends Obj {
  spec?: {
    podCIDR?: string;
    podCIDRs?: string[];
    unschedulable?: boolean;
    taints?: { key: string; value?: string; effect: string; timeAdded?: string }[];
  };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: Condition[];
    addresses?: { type: string; address: string }[];
    nodeInfo?: {
      operatingSystem?: string;
      architecture?: string;
      kubeletVersion?: string;
      containerRuntimeVersion?: string;
      osImage?: string;
    };
  };
}

export interface CoreEvent extends Obj {
  involvedObject: { kind?: string; namespace?: string; name?: string; uid?: string; fieldPath?: string };
  reason?: string;
  message?: string;
  type?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  count?: number;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
}

export interface Service extends Obj {
  spec?: {
    type?: string;
    clusterIP?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
  };
}

export interface Endpoints extends Obj {
  subsets?: {
    addresses?: { ip: string; nodeName?: string; targetRef?: { kind?: string; name?: string } }[];
    notReadyAddresses?: { ip: string; nodeName?: string; targetRef?: { kind?: string; name?: string } }[];
    ports?: { name?: string; port: number; protocol?: string }[];
  }[];
}

export interface Workload extends Obj {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    paused?: boolean;
    strategy?: {
      type?: string;
      rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
    };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: Pod['spec'] };
  };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
    // DaemonSet
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    updatedNumberScheduled?: number;
    conditions?: Condition[];
    unavailableReplicas?: number;
  };
}

export type Deployment = Workload;
export type ReplicaSet = Workload;
export type DaemonSet = Workload;
export type Namespace = Obj;

/** A Machine (flotilla.dev/v1, cluster-scoped; the shape is shared/machine.ts). */
export interface MachineObject extends Obj {
  apiVersion?: string;
  kind?: string;
  spec: MachineSpec;
  status?: MachineStatus;
}
