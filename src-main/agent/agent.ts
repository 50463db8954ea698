// The agent as one running node: its API server first (so the control plane can reach it while it
// registers), then the Node (registration, lease, status), the pod network once the control plane
// assigned a pod CIDR, the pod informer feeding the Kubelet, and the service proxy.
//
// Order matters for restart safety: the Kubelet makes its first pass only after the pod informer has
// listed, so an agent that restarts never mistakes "not listed yet" for "no pods" — containers of pods
// that still exist are adopted, those of pods deleted meanwhile are removed. While the API server is
// away everything keeps running on the last known state; informers relist and writes retry.
import { mkdir } from 'node:fs/promises';
import v8 from 'node:v8';
import Docker from 'dockerode';
import { findResourceByKind } from '../shared/resources';
import type { ResourceInfo } from '../shared/resources';
import { createKubeApi } from '../shared/kube/client';
import { createEventRecorder } from '../shared/kube/events';
import type { EventRecorderHandle } from '../shared/kube/events';
import { createInformer } from '../shared/kube/informer';
import type { InformerWithState } from '../shared/kube/informer';
import { createNodeTransport } from '../shared/node/https-transport';
import type { NodeTransport } from '../shared/node/https-transport';
import type { KubeApi } from '../shared/kube/types';
import type { AgentConfig } from './config';
import { Kubelet } from './kubelet';
import { readMachineFacts, systemMachine } from './node/machine';
import type { MachineFacts, MachineSource } from './node/machine';
import { NodeManager } from './node/node-manager';
import type { NodeHealth } from './node/node-status';
import { ServiceProxy } from './network/service-proxy';
import { PodRoutes } from './network/routes';
import type { ProxyHealth } from './network/service-proxy';
import type { Iptables } from './network/iptables';
import type { Pod } from './pods/types';
import { ReferencedObjects } from './referenced-objects';
import { DEFAULT_ENGINE_CONCURRENCY, DockerRuntime, engineMessage } from './runtime/docker-runtime';
import { startAgentServer } from './server/agent-server';
import type { AgentServer } from './server/agent-server';
import { StatsCollector } from './server/stats';
import { StatusWriter } from './status-writer';
import { AGENT_VERSION } from './version';
import { dockerOptions } from './docker-host';
import { teardownNode } from './teardown';

const PODS = findResourceByKind('v1', 'Pod') as ResourceInfo;

export interface AgentDeps {
  docker?: Docker;
  machine?: MachineSource;
  iptables?: Iptables;
  /** Whether the service proxy may change the firewall (default: running as root). */
  privileged?: boolean;
  log?: (message: string) => void;
  /** Kubelet full-pass interval (default 10 s). */
  resyncIntervalMs?: number;
  leaseIntervalMs?: number;
  /**
   * Changing Docker engine calls at once (default: FLOTILLA_AGENT_ENGINE_CONCURRENCY, else 8; see
   * runtime/engine-limiter.ts).
   */
  engineConcurrency?: number;
  /**
   * Log when each pod reaches each start stage (default: on when FLOTILLA_AGENT_TRACE=1): lines
   * `trace NAMESPACE/NAME STAGE EPOCH_MS`, which the pods benchmark reads for its breakdown.
   */
  tracePods?: boolean;
}

function engineConcurrencyFromEnv(): number | undefined {
  const n = Number(process.env.FLOTILLA_AGENT_ENGINE_CONCURRENCY);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface RunningAgent {
  readonly config: AgentConfig;
  readonly api: KubeApi;
  /** The agent API's port (the configured one, or the one bound when configured 0). */
  readonly port: number;
  /** Resolves when the pod network exists and the Kubelet runs (the Node can become Ready). */
  readonly ready: Promise<void>;
  kubelet(): Kubelet | undefined;
  proxy(): ServiceProxy | undefined;
  /** Routes to the other nodes' pod CIDRs (host-gw, or VXLAN); only when the agent may change the host's network. */
  routes(): PodRoutes | undefined;
  node: NodeManager;
  /** Stops the agent; pods keep running (an agent restart adopts them). */
  stop(): Promise<void>;
  /** Node removal: stops the agent and removes its containers, pod network and service rules. */
  teardown(): Promise<void>;
}

/**
 * Keeps V8's young generation at its initial size (1 MiB semi-spaces) instead of letting it grow to
 * 16 MiB ones under allocation bursts (a pod churn, a relist): that growth alone took the agent's
 * RSS from about 50 to over 80 MB, while the extra scavenges it saves cost little at the agent's
 * allocation rates. The growth factor is one of the few heap settings V8 honours after start-up.
 */
export function limitYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  // More V8 settings to try on a node (space-separated flags, e.g. `--optimize-for-size`).
  for (const flag of (process.env.FLOTILLA_AGENT_V8_FLAGS ?? '').split(/\s+/).filter(Boolean))
    v8.setFlagsFromString(flag);
}

export async function startAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<RunningAgent> {
  limitYoungGeneration();
  const log = deps.log ?? ((m: string) => console.error(`[agent] ${m}`));
  const tracing = deps.tracePods ?? process.env.FLOTILLA_AGENT_TRACE === '1';
  // Wall-clock milliseconds with sub-millisecond precision, comparable with another process's.
  const trace = tracing
    ? (pod: Pod, stage: string) =>
        log(
          `trace ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''} ${stage.replace(/\s+/g, '_')} ${(performance.timeOrigin + performance.now()).toFixed(1)}`,
        )
    : undefined;
  const docker = deps.docker ?? new Docker(dockerOptions(config.dockerHost));
  await mkdir(config.rootDir, { recursive: true });

  const transport: NodeTransport = createNodeTransport({
    server: config.apiServer,
    caPem: config.caPem,
    certPem: config.clientCertPem,
    keyPem: config.clientKeyPem,
    userAgent: `flotilla-agent/${AGENT_VERSION} (${config.nodeName})`,
    // A request that hears nothing for a whole lease-renewal period is on a dead link: give up so
    // the heartbeat retries at once when the link returns, instead of after the 60 s default.
    requestTimeoutMs: 10_000,
  });
  const api = createKubeApi(transport);
  const server: AgentServer = await startAgentServer({
    caPem: config.caPem,
    certPem: config.servingCertPem,
    keyPem: config.servingKeyPem,
    host: config.listenAddress,
    port: config.port,
    log: (m) => log(`api: ${m}`),
  });
  const recorder: EventRecorderHandle = createEventRecorder(api, {
    component: 'kubelet',
    host: config.nodeName,
    log: { warn: (m, f) => log(`events: ${m} ${f?.error instanceof Error ? f.error.message : ''}`) },
  });

  // ----------------------------------------------------------------------------- node health
  let podNetwork: NodeHealth['podNetwork'] = {
    ready: false,
    message: 'waiting for the control plane to assign a pod CIDR',
  };
  let proxyHealth: ProxyHealth | undefined = config.proxy.enabled
    ? { ready: false, reason: 'Starting', message: 'service proxy is starting' }
    : undefined;
  let lastFacts: MachineFacts | undefined;
  const machine = deps.machine ?? systemMachine;
  const readFacts = async () =>
    (lastFacts = await readMachineFacts(
      {
        rootDir: config.rootDir,
        hostRoot: config.hostRoot,
        ...(config.nodeIP ? { nodeIP: config.nodeIP } : {}),
      },
      machine,
    ));
  const health = async (): Promise<NodeHealth> => {
    let runtime: NodeHealth['runtime'];
    try {
      runtime = { ok: true, version: (await docker.version()).Version };
    } catch (err) {
      runtime = { ok: false, message: `cannot reach the Docker engine: ${engineMessage(err)}` };
    }
    return { runtime, podNetwork, ...(proxyHealth ? { proxy: proxyHealth } : {}) };
  };
  const node = new NodeManager({
    api,
    nodeName: config.nodeName,
    labels: config.labels,
    taints: config.taints,
    port: server.port,
    agentVersion: AGENT_VERSION,
    readFacts,
    health,
    ...(deps.leaseIntervalMs ? { leaseIntervalMs: deps.leaseIntervalMs } : {}),
    log: (m) => log(`node: ${m}`),
  });
  const nodeRef = () => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: config.nodeName, uid: node.nodeUid ?? config.nodeName },
  });

  let kubelet: Kubelet | undefined;
  let proxy: ServiceProxy | undefined;
  let routes: PodRoutes | undefined;
  let podInformer: InformerWithState<Pod & { metadata: { name?: string } }> | undefined;
  let referenced: ReferencedObjects | undefined;
  let stats: StatsCollector | undefined;
  let runtime: DockerRuntime | undefined;
  let stopped = false;
  let memoryTrace: NodeJS.Timeout | undefined;

  const bringUp = async (): Promise<void> => {
    await node.register();
    node.start();
    const podCidr = await node.waitForPodCidr();
    if (stopped) return;
    log(`pod CIDR ${podCidr}`);
    runtime = new DockerRuntime({
      docker,
      nodeName: config.nodeName,
      podCidr,
      networkName: config.networkName,
      bridgeName: config.bridgeName,
      engineConcurrency: deps.engineConcurrency ?? engineConcurrencyFromEnv() ?? DEFAULT_ENGINE_CONCURRENCY,
    });
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await runtime.ensurePodNetwork();
        podNetwork = { ready: true };
        break;
      } catch (err) {
        podNetwork = { ready: false, message: `cannot create the pod network: ${engineMessage(err)}` };
        node.requestStatusUpdate();
        log(podNetwork.message);
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5))));
      }
    }
    if (stopped) return;

    // Pods bound to this node, and the ConfigMaps/Secrets of their namespaces.
    podInformer = createInformer<Pod & { metadata: { name?: string } }>(api, PODS, {
      fieldSelector: `spec.nodeName=${config.nodeName}`,
      onError: (m, err) => log(`pods: ${m}: ${err instanceof Error ? err.message : JSON.stringify(err)}`),
    });
    const informer = podInformer;
    referenced = new ReferencedObjects(
      api,
      () => kubelet?.podsChanged(),
      (m) => log(`objects: ${m}`),
    );
    const refs = referenced;
    const namespaces = () => new Set(informer.lister.list().map((p) => p.metadata.namespace ?? 'default'));
    // Each event syncs its own pod (after the ConfigMap/Secret caches of its namespace are there);
    // the Kubelet's periodic full pass covers anything an event could miss.
    const podChanged = (pod: Pod) => {
      void refs.track(namespaces()).then(() => kubelet?.podsChanged([pod]));
    };
    informer.addHandlers({
      onAdd: (pod) => {
        trace?.(pod, 'seen');
        podChanged(pod);
      },
      onUpdate: (_old, pod) => podChanged(pod),
      onDelete: (pod) => {
        void refs.track(namespaces());
        kubelet?.podRemoved(pod.metadata.uid ?? '');
      },
    });
    await informer.start();
    await refs.track(namespaces());
    if (stopped) return;

    const writer = new StatusWriter(
      api,
      undefined,
      (m) => log(`status: ${m}`),
      (pod) =>
        informer.lister.get(pod.metadata.name ?? '', pod.metadata.namespace)?.metadata.uid ===
        pod.metadata.uid,
      trace ? (pod, status) => trace(pod, `patched ${status.phase ?? ''}`) : undefined,
    );
    const facts = lastFacts ?? (await readFacts());
    kubelet = new Kubelet({
      nodeName: config.nodeName,
      hostIP: facts.internalIP,
      runtime,
      rootDir: config.rootDir,
      pods: () => informer.lister.list(),
      lookup: refs,
      recorder,
      onStatus: writer.onStatus,
      onTerminated: writer.onTerminated,
      ...(deps.resyncIntervalMs ? { resyncIntervalMs: deps.resyncIntervalMs } : {}),
      ...(trace ? { trace } : {}),
      log: (m) => log(`kubelet: ${m}`),
    });
    await kubelet.start();
    const k = kubelet;
    stats = new StatsCollector({
      nodeName: config.nodeName,
      containers: () => k.stats(),
      podUid: (ns, name) => informer.lister.get(name, ns)?.metadata.uid,
    });
    stats.start();
    const engineCalls = runtime.limiter;
    if (tracing) {
      // Where the agent's memory is, next to the pod traces (benchmarks compare it with the RSS).
      memoryTrace = setInterval(() => {
        const m = process.memoryUsage();
        const mb = (n: number) => (n / 1e6).toFixed(1);
        log(
          `trace-memory rss=${mb(m.rss)} heapUsed=${mb(m.heapUsed)} heapTotal=${mb(m.heapTotal)} external=${mb(m.external)} pods=${informer.lister.list().length} engineCalls=${JSON.stringify(engineCalls.stats())}`,
        );
      }, 5_000);
      memoryTrace.unref();
    }
    const collector = stats;
    server.attach({
      logs: (ns, pod, container, options) => k.logs(ns, pod, container, options),
      exec: (ns, pod, container, options) => k.exec(ns, pod, container, options),
      statsSummary: () => collector.summary(),
    });
    node.requestStatusUpdate();
    log(
      `node ${config.nodeName} is up: pod network ${config.networkName} (${podCidr}), agent API on port ${server.port}`,
    );

    if (config.proxy.enabled && !stopped) {
      proxy = new ServiceProxy({
        api,
        prefix: config.proxy.chainPrefix,
        masqueradeBit: config.proxy.masqueradeBit,
        clusterCIDR: config.clusterCIDR,
        bridgeName: config.bridgeName,
        ...(deps.iptables ? { iptables: deps.iptables } : {}),
        ...(deps.privileged !== undefined ? { privileged: deps.privileged } : {}),
        log: (m) => log(`proxy: ${m}`),
        onHealth: (h) => {
          proxyHealth = h;
          node.requestStatusUpdate();
          if (!h.ready && h.reason !== 'Starting')
            recorder.event(nodeRef(), 'Warning', 'ServiceProxyUnavailable', h.message);
        },
      });
      proxyHealth = await proxy.start();
      node.requestStatusUpdate();
    }

    // Routes to the other nodes' pods (after the proxy, whose P-FORWARD accepts the cluster CIDR).
    if (config.proxy.enabled && (deps.privileged ?? process.getuid?.() === 0) && !stopped) {
      routes = new PodRoutes({
        api,
        nodeName: config.nodeName,
        clusterCIDR: config.clusterCIDR,
        podCIDR: podCidr,
        nodeIP: facts.internalIP,
        masqueradeBit: config.proxy.masqueradeBit,
        ...(deps.iptables ? { iptables: deps.iptables } : {}),
        log: (m) => log(`routes: ${m}`),
        onUnreachable: (_peer, message) =>
          recorder.event(nodeRef(), 'Warning', 'PodRouteUnavailable', message),
      });
      await routes.start();
    }
  };

  const ready = bringUp();
  ready.catch((err: unknown) => {
    if (!stopped)
      log(`agent start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  });

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    clearInterval(memoryTrace);
    node.stop();
    proxy?.stop();
    routes?.stop();
    stats?.stop();
    kubelet?.stop();
    podInformer?.stop();
    referenced?.stop();
    await server.close();
    await Promise.race([recorder.flush(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    transport.close();
  }

  return {
    config,
    api,
    port: server.port,
    ready,
    kubelet: () => kubelet,
    proxy: () => proxy,
    routes: () => routes,
    node,
    stop,
    async teardown() {
      await stop();
      await teardownNode(config, { docker, ...(deps.iptables ? { iptables: deps.iptables } : {}), log });
    },
  };
}
