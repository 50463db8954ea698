// The local Docker engine as a node: the steps that make an engine run a node's agent, shared by the
// enrollment controller (a `Machine` of type `docker`, ../controller/docker-enroll) — which is also
// what `flotilla node add docker` goes through (../controller/docker-cli) — so there is one path:
//   connect to the engine → check the node name and that the engine runs no other node's agent →
//   the agent runtime image → the agent bundle and the node's folder (certificates, config) →
//   start the agent container (recorded in node.json for the watchdog, remove and image load) →
//   wait until the Node is Ready.
// Every step is idempotent: run again it finds what the last run made and keeps it.
import type Docker from 'dockerode';
import os from 'node:os';
import path from 'node:path';
import { AGENT_PORT } from '../../shared/agent-api';
import { RESOURCES } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi } from '../../shared/kube/types';
import { kubeApiFromKubeconfig, loadKubeconfig } from '../../control-plane/client/kubeconfig';
import {
  AGENT_NODE_LABEL,
  agentContainerName,
  containerLogTail,
  startAgentContainer,
} from './agent-container';
import type { Engine } from './engine';
import { DEFAULT_SOCKET } from './engine';
import { EnrollmentError } from './errors';
import { readNodeRecord, writeNodeRecord } from './node-files';

/** What `flotilla node add docker` takes (the CLI turns it into a Machine). */
export interface DockerNodeOptions {
  dataDir: string;
  /** Default `<dataDir>/kubeconfig` (the admin kubeconfig `flotilla server` writes). */
  kubeconfig?: string;
  name?: string;
  dockerHost?: string;
  agentPort?: number;
  readyTimeoutMs?: number;
  progress?: (line: string) => void;
}

export const NODES = resource('', 'nodes');
export const PODS = resource('', 'pods');
export const LEASES = resource('coordination.k8s.io', 'leases');

/** The pod network every Docker node's agent makes (the agent's default). */
export const DOCKER_NODE_NETWORK = 'flotilla-pods';

export function resource(group: string, plural: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.plural === plural);
  if (!r) throw new Error(`unknown resource ${plural}.${group}`);
  return r;
}

/** A node name from the host name: lower-case DNS label characters. */
export function defaultNodeName(hostname = os.hostname()): string {
  const name = hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return name || 'docker';
}

export function checkNodeName(nodeName: string): void {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName))
    throw new EnrollmentError(
      'NodeExists',
      `"${nodeName}" is not a valid node name (lower-case letters, digits, '-' and '.')`,
    );
}

export async function connectCluster(
  dataDir: string,
  kubeconfig?: string,
): Promise<{ api: KubeApi; server: string; close(): void }> {
  const file = kubeconfig ?? path.join(dataDir, 'kubeconfig');
  let client: Awaited<ReturnType<typeof kubeApiFromKubeconfig>>;
  try {
    client = await kubeApiFromKubeconfig(file, { userAgent: 'flotilla-node' });
  } catch (err) {
    throw new EnrollmentError(
      'ControlPlaneUnavailable',
      `cannot use the kubeconfig ${file}: ${(err as Error).message} (is \`flotilla server --data-dir ${dataDir}\` running?)`,
      { cause: err },
    );
  }
  const server = (await loadKubeconfig(file)).server;
  try {
    await client.api.list(NODES, { limit: 1 });
  } catch (err) {
    client.transport.close();
    throw new EnrollmentError(
      'ControlPlaneUnavailable',
      `the API server at ${server} does not answer: ${(err as Error).message} (is \`flotilla server\` running?)`,
      { cause: err },
    );
  }
  return { api: client.api, server, close: () => client.transport.close() };
}

/**
 * Preflight: the node name is free (or already this data dir's Docker node) and the engine runs no
 * other node's agent — one node per engine, since the pod network and firewall rules are per machine.
 */
export async function checkNameAndEngine(
  engine: Engine,
  api: KubeApi,
  dataDir: string,
  nodeName: string,
): Promise<void> {
  const record = await readNodeRecord(dataDir, nodeName);
  if (!record) {
    try {
      await api.get(NODES, nodeName);
      throw new EnrollmentError(
        'NodeExists',
        `a node named "${nodeName}" already exists and was not added from this data dir; choose another --name`,
      );
    } catch (err) {
      if (!isKubeApiError(err, 404)) throw err;
    }
  }
  const agents = await engine.docker.listContainers({ all: true, filters: { label: [AGENT_NODE_LABEL] } });
  const other = agents.find((c) => c.Labels[AGENT_NODE_LABEL] !== nodeName);
  if (other) {
    throw new EnrollmentError(
      'EngineTaken',
      `this Docker engine already runs the agent of node "${other.Labels[AGENT_NODE_LABEL]}" (one node per engine: the pod network and firewall rules are per machine); remove it first with \`flotilla node remove ${other.Labels[AGENT_NODE_LABEL]}\``,
    );
  }
}

/** How the agent inside its container reaches the engine: the socket mounted at the default path. */
export function agentDockerHost(engine: Engine): string {
  return engine.socketPath ? `unix://${DEFAULT_SOCKET}` : engine.host;
}

/**
 * Starts the node's agent container (kept when it already runs this image and bundle; restarted
 * when `restart`, e.g. its files changed). The node record is written first, so that whatever
 * happens next, `remove` and the watchdog know the container is this data dir's.
 */
export async function startNodeAgent(options: {
  engine: Engine;
  dataDir: string;
  nodeName: string;
  image: string;
  dir: string;
  agentPort?: number;
  restart?: boolean;
}): Promise<{ container: Docker.Container; started: boolean; restarted: boolean }> {
  const { engine, nodeName } = options;
  const name = agentContainerName(nodeName);
  const previous = await readNodeRecord(options.dataDir, nodeName);
  await writeNodeRecord(options.dataDir, {
    transport: 'docker',
    nodeName,
    dockerHost: engine.host,
    containerName: name,
    image: options.image,
    agentPort: options.agentPort ?? AGENT_PORT,
    networkName: DOCKER_NODE_NETWORK,
    createdAt: previous?.createdAt ?? new Date().toISOString(),
  });
  const wasRunning = await engine.docker
    .getContainer(name)
    .inspect()
    .then(
      (i) => i.State.Running,
      () => false,
    );
  const container = await startAgentContainer(engine, {
    nodeName,
    image: options.image,
    dir: options.dir,
    engine,
  });
  const info = await container.inspect();
  const kept = wasRunning && info.State.Running;
  if (kept && options.restart) {
    await container.restart({ t: 10 });
    return { container, started: false, restarted: true };
  }
  return { container, started: !kept, restarted: false };
}

/** Polls the Node until Ready; fails early when the agent container keeps exiting. */
export async function waitForReady(
  api: KubeApi,
  container: Docker.Container,
  nodeName: string,
  timeoutMs: number,
  progress: (line: string) => void = () => {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const info = await container.inspect();
    // The engine restarts a crashing agent with backoff; three crashes will not fix themselves.
    if (info.RestartCount >= 3 || (!info.State.Running && !info.State.Restarting)) {
      throw new EnrollmentError(
        'AgentFailed',
        `the agent container keeps exiting (exit code ${info.State.ExitCode}); its last log lines:\n${await containerLogTail(container)}`,
      );
    }
    try {
      const node = await api.get<{
        status?: { conditions?: { type: string; status: string; message?: string }[] };
      }>(NODES, nodeName);
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') return;
      const now = `registered; Ready=${ready?.status ?? 'Unknown'}${ready?.message ? ` (${ready.message})` : ''}`;
      if (now !== last) progress((last = now));
    } catch (err) {
      if (!isKubeApiError(err, 404)) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new EnrollmentError(
    'AgentFailed',
    `node ${nodeName} did not become Ready within ${Math.round(timeoutMs / 1000)} s; the agent's last log lines:\n${await containerLogTail(container)}\n(see all with: docker logs ${agentContainerName(nodeName)})`,
  );
}
