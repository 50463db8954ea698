// `flotilla node add docker`: make the local Docker engine a node of a running control plane.
// Steps (each reported through `progress`): connect to the engine; read the cluster's kubeconfig and
// CA from the data dir; issue the node's certificates and write its folder; the agent bundle and the
// runtime image; start the agent container; wait until the Node is Ready.
import type Docker from 'dockerode';
import os from 'node:os';
import path from 'node:path';
import { AGENT_PORT } from '../../shared/agent-api';
import { RESOURCES } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi } from '../../shared/kube/types';
import { kubeApiFromKubeconfig } from '../../control-plane/client/kubeconfig';
import { ensureAgentBundle } from './agent-bundle';
import {
  AGENT_NODE_LABEL,
  agentContainerName,
  containerLogTail,
  startAgentContainer,
} from './agent-container';
import type { Engine } from './engine';
import { connectEngine, DEFAULT_SOCKET } from './engine';
import { EnrollmentError } from './errors';
import { loadClusterCa, readNodeRecord, writeNodeFiles, writeNodeRecord } from './node-files';
import { ensureRuntimeImage } from './runtime-image';

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
  const { loadKubeconfig } = await import('../../control-plane/client/kubeconfig');
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

export async function addDockerNode(
  options: DockerNodeOptions,
): Promise<{ nodeName: string; image: string; container: string }> {
  const progress = options.progress ?? (() => {});
  const nodeName = options.name ?? defaultNodeName();
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName))
    throw new EnrollmentError(
      'NodeExists',
      `"${nodeName}" is not a valid node name (lower-case letters, digits, '-' and '.')`,
    );

  progress(
    `Connecting to the Docker engine at ${options.dockerHost ?? process.env.DOCKER_HOST ?? `unix://${DEFAULT_SOCKET}`}`,
  );
  const engine = await connectEngine(options.dockerHost);
  progress(`  Docker ${engine.version}`);

  progress(
    `Connecting to the control plane (${options.kubeconfig ?? path.join(options.dataDir, 'kubeconfig')})`,
  );
  const cluster = await connectCluster(options.dataDir, options.kubeconfig);
  try {
    await checkNameAndEngine(engine, cluster.api, options.dataDir, nodeName);
    const ca = await loadClusterCa(options.dataDir);

    progress('Preparing the agent bundle');
    const bundlePath = await ensureAgentBundle({ log: (l) => progress(`  ${l}`) });

    progress(`Issuing the node's certificates (system:node:${nodeName}) and writing its config`);
    const files = await writeNodeFiles({
      dataDir: options.dataDir,
      nodeName,
      apiServer: cluster.server,
      ca,
      bundlePath,
      ...(options.agentPort !== undefined ? { agentPort: options.agentPort } : {}),
      agentDockerHost: engine.socketPath ? `unix://${DEFAULT_SOCKET}` : engine.host,
    });
    progress(`  ${files.dir}`);

    progress('Preparing the agent runtime image');
    const image = await ensureRuntimeImage(engine, { log: (l) => progress(`  ${l}`) });
    progress(`  ${image}`);

    const container = agentContainerName(nodeName);
    progress(`Starting the agent container ${container}`);
    const started = await startAgentContainer(engine, { nodeName, image, dir: files.dir, engine });
    await writeNodeRecord(options.dataDir, {
      transport: 'docker',
      nodeName,
      dockerHost: engine.host,
      containerName: container,
      image,
      agentPort: options.agentPort ?? AGENT_PORT,
      networkName: 'flotilla-pods',
      createdAt: new Date().toISOString(),
    });

    progress(`Waiting for node ${nodeName} to become Ready`);
    await waitForReady(cluster.api, started, nodeName, options.readyTimeoutMs ?? 90_000, progress);
    progress(`Node ${nodeName} is Ready.`);
    return { nodeName, image, container };
  } finally {
    cluster.close();
  }
}

async function checkNameAndEngine(
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

async function waitForReady(
  api: KubeApi,
  container: Docker.Container,
  nodeName: string,
  timeoutMs: number,
  progress: (line: string) => void,
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
      const now = `  registered; Ready=${ready?.status ?? 'Unknown'}${ready?.message ? ` (${ready.message})` : ''}`;
      if (now !== last) progress((last = now));
    } catch (err) {
      if (!isKubeApiError(err, 404)) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new EnrollmentError(
    'AgentFailed',
    `node ${nodeName} did not become Ready within ${Math.round(timeoutMs / 1000)} s; the agent's last log lines:\n${await containerLogTail(container)}\n(see all with: docker logs ${agentContainerName(nodeName)})`,
  );
}
