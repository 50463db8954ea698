// Small builders for scheduler unit tests: pods and nodes as the API server would return them.
import type { Container, Node, StoredPod as Pod, PodSpec, Taint } from '../../../shared/kube/objects';

let seq = 0;

export interface PodFixture {
  name?: string;
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  owner?: string;
  hostPort?: number;
  spec?: Partial<PodSpec>;
}

export function makePod(f: PodFixture = {}): Pod {
  const name = f.name ?? `pod-${++seq}`;
  const requests: Record<string, string> = {};
  if (f.cpu) requests.cpu = f.cpu;
  if (f.memory) requests.memory = f.memory;
  const container: Container = {
    name: 'app',
    image: 'busybox',
    ...(Object.keys(requests).length ? { resources: { requests } } : {}),
    ...(f.hostPort ? { ports: [{ containerPort: 80, hostPort: f.hostPort, protocol: 'TCP' as const }] } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: f.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: f.labels,
      ...(f.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: f.owner,
                uid: `rs-${f.owner}`,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: { schedulerName: 'default-scheduler', containers: [container], ...f.spec },
  };
}

export interface NodeFixture {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

export function makeNode(f: NodeFixture): Node {
  const capacity = { cpu: f.cpu ?? '4', memory: f.memory ?? '8Gi', pods: String(f.pods ?? 110) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: f.name,
      uid: `uid-${f.name}`,
      labels: { 'kubernetes.io/hostname': f.name, ...f.labels },
    },
    spec: { ...(f.taints ? { taints: f.taints } : {}), ...(f.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}
