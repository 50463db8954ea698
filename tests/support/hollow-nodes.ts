// Hollow nodes: simulated worker nodes for tests and benchmarks (after Kubernetes' kubemark). Each
// registers a Node with a full status, renews its Lease in kube-node-lease every heartbeatSeconds,
// reports the pods bound to it Running and Ready (with a pod IP from a fake range) and finishes the
// termination of pods being deleted, like a kubelet whose containers start and stop instantly.
// Nothing runs and no traffic leaves the process except API calls to the (loopback) control plane.
//
// All hollow nodes of a process share one pod informer per API client (bound pods only), so a
// thousand nodes cost one watch, not a thousand.
import { createInformer } from '../../src-main/shared/kube/informer';
import { isKubeApiError } from '../../src-main/shared/kube/types';
import type { Informer, KubeApi, KubeObjectLike } from '../../src-main/shared/kube/types';
import { RESOURCES } from '../../src-main/shared/resources';
import type { ResourceInfo } from '../../src-main/shared/resources';
import type { Node, Pod, Taint } from '../../src-main/control-plane/scheduler/api-types';

const resource = (group: string, kind: string) =>
  RESOURCES.find((r) => r.group === group && r.kind === kind) as ResourceInfo;
const NODES = resource('', 'Node');
const PODS = resource('', 'Pod');
const LEASES = resource('coordination.k8s.io', 'Lease');
export const LEASE_NAMESPACE = 'kube-node-lease';

export interface HollowNodeOptions {
  count: number;
  /** Node names are `<namePrefix><index>` (default `hollow-`). */
  namePrefix?: string;
  capacity: { cpu: string; memory: string; pods: number | string };
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Lease renewal interval; 0 registers the nodes without any heartbeat (scheduler benchmarks). */
  heartbeatSeconds: number;
  /** Node status (Ready heartbeat) is re-posted this often (default 60 s), as kubelet's nodeStatusReportFrequency. */
  statusReportSeconds?: number;
  /** Report bound pods Running and finish deletions (default true). */
  runPods?: boolean;
  /** Registrations in flight at once (default 32). */
  concurrency?: number;
  /** Called with API errors the nodes could not handle (default: ignored; they retry on the next beat). */
  onError?: (message: string, err: unknown) => void;
}

export interface HollowNodes {
  readonly names: readonly string[];
  /** Stops heartbeats and pod handling (the Node objects stay, as when a machine is switched off). */
  stop(): Promise<void>;
  /** The node goes silent: no lease renewals, no status, no pod updates (simulated death). */
  stopHeartbeats(name: string): void;
  /** The node comes back: renews its lease and reports Ready at once, then beats on. */
  resume(name: string): Promise<void>;
  /** Lease renewals made so far (for benchmarks). */
  heartbeats(): number;
}

interface Lease extends KubeObjectLike {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}

const microTime = (d = new Date()) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const seconds = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------- the shared pod watch

interface PodHandler {
  onPod(pod: Pod): void;
}

interface SharedPods {
  informer: Informer<Pod>;
  byNode: Map<string, PodHandler>;
  users: number;
  started: Promise<void>;
}

const sharedByApi = new WeakMap<KubeApi, SharedPods>();

function sharedPods(api: KubeApi): SharedPods {
  let shared = sharedByApi.get(api);
  if (shared) return shared;
  // Only bound pods concern a kubelet; the field selector keeps pending ones off the wire.
  const informer = createInformer<Pod>(api, PODS, { fieldSelector: 'spec.nodeName!=', pageSize: 1000 });
  const byNode = new Map<string, PodHandler>();
  const route = (pod: Pod) => {
    const name = pod.spec?.nodeName;
    if (name) byNode.get(name)?.onPod(pod);
  };
  informer.addHandlers({ onAdd: route, onUpdate: (_old, pod) => route(pod) });
  shared = { informer, byNode, users: 0, started: informer.start() };
  sharedByApi.set(api, shared);
  return shared;
}

function releaseShared(api: KubeApi, shared: SharedPods): void {
  shared.users--;
  if (shared.users > 0) return;
  shared.informer.stop();
  sharedByApi.delete(api);
}

// --------------------------------------------------------------------------------------- one node

interface HollowNode {
  name: string;
  index: number;
  alive: boolean;
  lease?: Lease;
  nextPodHost: number;
  /** Pods already reported Running (by uid), and deletions already issued. */
  reported: Set<string>;
  deleting: Set<string>;
}

function nodeObject(name: string, index: number, o: HollowNodeOptions): Node {
  const capacity = { cpu: o.capacity.cpu, memory: o.capacity.memory, pods: String(o.capacity.pods) };
  const now = seconds();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'flotilla.dev/hollow': 'true',
        ...o.labels,
      },
    },
    spec: o.taints && o.taints.length > 0 ? { taints: o.taints } : {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'hollow kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        ...['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({
          type,
          status: 'False' as const,
          reason: `KubeletHasNo${type}`,
          message: `hollow kubelet has no ${type}`,
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        })),
      ],
      addresses: [
        { type: 'InternalIP', address: `10.255.${(index >> 8) & 255}.${index & 255}` },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        machineID: `hollow-${index}`,
        systemUUID: `hollow-${index}`,
        bootID: `hollow-boot-${index}`,
        kernelVersion: '6.1.0-hollow',
        osImage: 'Flotilla hollow node',
        containerRuntimeVersion: 'hollow://0.1.0',
        kubeletVersion: 'v1.32.0-hollow',
        kubeProxyVersion: 'v1.32.0-hollow',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
  };
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function startHollowNodes(api: KubeApi, options: HollowNodeOptions): Promise<HollowNodes> {
  const prefix = options.namePrefix ?? 'hollow-';
  const runPods = options.runPods ?? true;
  const report = options.onError ?? (() => {});
  const nodes = new Map<string, HollowNode>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  let beats = 0;

  for (let i = 0; i < options.count; i++) {
    const name = `${prefix}${i}`;
    nodes.set(name, {
      name,
      index: i,
      alive: true,
      nextPodHost: 2,
      reported: new Set(),
      deleting: new Set(),
    });
  }

  // ---- pods: report Running, finish deletions ----
  const podIP = (n: HollowNode) => {
    const host = n.nextPodHost;
    n.nextPodHost = host >= 254 ? 2 : host + 1;
    // 10.244.0.0/14 split per node: a fake range; nothing is ever sent to it.
    return `10.${244 + ((n.index >> 8) & 3)}.${n.index & 255}.${host}`;
  };

  async function runPod(n: HollowNode, pod: Pod): Promise<void> {
    const now = seconds();
    const ip = podIP(n);
    const containers = pod.spec.containers ?? [];
    try {
      await api.patch(
        PODS,
        pod.metadata.name,
        pod.metadata.namespace,
        {
          status: {
            phase: 'Running',
            hostIP: `10.255.${(n.index >> 8) & 255}.${n.index & 255}`,
            podIP: ip,
            podIPs: [{ ip }],
            startTime: now,
            conditions: [
              'PodReadyToStartContainers',
              'Initialized',
              'ContainersReady',
              'Ready',
              'PodScheduled',
            ].map((type) => ({
              type,
              status: 'True',
              lastProbeTime: null,
              lastTransitionTime: now,
            })),
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image ?? '',
              imageID: `hollow://${c.image ?? ''}`,
              containerID: `hollow://${pod.metadata.uid}-${c.name}`,
              ready: true,
              started: true,
              restartCount: 0,
              state: { running: { startedAt: now } },
            })),
          },
        },
        'strategic',
        'status',
      );
    } catch (err) {
      n.reported.delete(pod.metadata.uid);
      if (!isKubeApiError(err, 404))
        report(`hollow node ${n.name}: reporting ${pod.metadata.name} Running failed`, err);
    }
  }

  async function finishDeletion(n: HollowNode, pod: Pod): Promise<void> {
    try {
      await api.delete(PODS, pod.metadata.name, pod.metadata.namespace, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (!isKubeApiError(err, 404) && !isKubeApiError(err, 409)) {
        n.deleting.delete(pod.metadata.uid);
        report(`hollow node ${n.name}: deleting ${pod.metadata.name} failed`, err);
      }
    }
  }

  const handlerFor = (n: HollowNode): PodHandler => ({
    onPod(pod) {
      if (!n.alive || stopped) return;
      const uid = pod.metadata.uid;
      if (pod.metadata.deletionTimestamp) {
        if (n.deleting.has(uid)) return;
        n.deleting.add(uid);
        void finishDeletion(n, pod);
        return;
      }
      const phase = pod.status?.phase;
      if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed' || n.reported.has(uid)) return;
      n.reported.add(uid);
      void runPod(n, pod);
    },
  });

  // ---- heartbeats: the Lease every heartbeatSeconds, the Ready condition every statusReportSeconds ----
  async function renewLease(n: HollowNode): Promise<void> {
    const renewTime = microTime();
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (!n.lease) {
          try {
            n.lease = await api.get<Lease>(LEASES, n.name, LEASE_NAMESPACE);
          } catch (err) {
            if (!isKubeApiError(err, 404)) throw err;
            n.lease = await api.create<Lease>(
              LEASES,
              {
                apiVersion: 'coordination.k8s.io/v1',
                kind: 'Lease',
                metadata: { name: n.name, namespace: LEASE_NAMESPACE },
                spec: {
                  holderIdentity: n.name,
                  leaseDurationSeconds: Math.max(40, options.heartbeatSeconds * 4),
                  acquireTime: renewTime,
                  renewTime,
                },
              },
              LEASE_NAMESPACE,
            );
            beats++;
            return;
          }
        }
        n.lease = await api.update<Lease>(LEASES, { ...n.lease, spec: { ...n.lease.spec, renewTime } });
        beats++;
        return;
      } catch (err) {
        n.lease = undefined; // conflict or gone: start again from the server's copy
        if (attempt === 2) report(`hollow node ${n.name}: lease renewal failed`, err);
      }
    }
  }

  async function postReady(n: HollowNode): Promise<void> {
    const now = seconds();
    try {
      const current = await api.get<Node>(NODES, n.name);
      const conditions = (current.status?.conditions ?? []).map((c) =>
        c.type === 'Ready'
          ? {
              ...c,
              status: 'True' as const,
              reason: 'KubeletReady',
              message: 'hollow kubelet is posting ready status',
              lastHeartbeatTime: now,
              lastTransitionTime: c.status === 'True' ? c.lastTransitionTime : now,
            }
          : { ...c, lastHeartbeatTime: now },
      );
      await api.updateStatus<Node>(NODES, { ...current, status: { ...current.status, conditions } });
    } catch (err) {
      if (!isKubeApiError(err, 409)) report(`hollow node ${n.name}: status update failed`, err);
    }
  }

  const every = (ms: number, first: number, fn: () => void) => {
    const tick = () => {
      timers.delete(t);
      if (stopped) return;
      fn();
      t = setTimeout(tick, ms);
      timers.add(t);
    };
    let t = setTimeout(tick, first);
    timers.add(t);
  };

  // ---- registration ----
  const list = [...nodes.values()];
  await mapLimit(list, options.concurrency ?? 32, async (n) => {
    try {
      await api.create(NODES, nodeObject(n.name, n.index, options));
    } catch (err) {
      if (!isKubeApiError(err, 409)) throw err;
      // Already registered (a restarted test process): take it over as it is.
    }
    if (options.heartbeatSeconds > 0) await renewLease(n);
  });

  let shared: SharedPods | undefined;
  if (runPods) {
    shared = sharedPods(api);
    shared.users++;
    for (const n of list) shared.byNode.set(n.name, handlerFor(n));
    await shared.started;
    // Pods bound before this handler existed (e.g. when the informer was already running).
    for (const pod of shared.informer.lister.list()) {
      const n = pod.spec.nodeName ? nodes.get(pod.spec.nodeName) : undefined;
      if (n) handlerFor(n).onPod(pod);
    }
  }

  if (options.heartbeatSeconds > 0) {
    const beatMs = options.heartbeatSeconds * 1000;
    const statusMs = (options.statusReportSeconds ?? 60) * 1000;
    list.forEach((n, i) => {
      // Spread the nodes over the interval, as real kubelets started at different times would be.
      const offset = Math.floor((beatMs * i) / list.length);
      every(beatMs, offset || beatMs, () => {
        if (n.alive) void renewLease(n);
      });
      every(statusMs, Math.floor((statusMs * i) / list.length) || statusMs, () => {
        if (n.alive) void postReady(n);
      });
    });
  }

  const get = (name: string) => {
    const n = nodes.get(name);
    if (!n) throw new Error(`no hollow node ${name}`);
    return n;
  };

  return {
    names: list.map((n) => n.name),
    heartbeats: () => beats,
    stopHeartbeats(name) {
      get(name).alive = false;
    },
    async resume(name) {
      const n = get(name);
      n.alive = true;
      n.lease = undefined;
      await renewLease(n);
      await postReady(n);
      if (shared) {
        for (const pod of shared.informer.lister.list())
          if (pod.spec.nodeName === name) handlerFor(n).onPod(pod);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (shared) {
        for (const n of list) shared.byNode.delete(n.name);
        releaseShared(api, shared);
      }
    },
  };
}
