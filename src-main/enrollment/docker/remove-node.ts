// `flotilla node remove NAME` for a Docker node: cordon, drain (delete its pods, waiting for the
// agent to stop them; force after the deadline), stop and remove the agent container, run
// `agent --teardown` in the same image (it removes the containers it labelled, the pod network and
// its iptables chains), check nothing of it is left, then delete the Node and its Lease and the
// node's folder. Safe to run again after a failure: every step tolerates "already gone".
import { rm } from 'node:fs/promises';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi } from '../../shared/kube/types';
import { connectCluster, LEASES, NODES, PODS } from './add-node';
import type { DockerNodeOptions } from './add-node';
import { removeAgentContainer, runTeardown } from './agent-container';
import type { Engine } from './engine';
import { connectEngine, isNotFound } from './engine';
import { EnrollmentError } from './errors';
import { nodeDir, readNodeRecord, type NodeRecord } from './node-files';
import { IMAGE_NODE } from './runtime-image';

/** The label the agent puts on every container it makes (src-main/agent/runtime/labels.ts). */
export const POD_CONTAINER_NODE_LABEL = 'dev.flotilla.node';

export interface RemoveDockerNodeOptions extends Pick<
  DockerNodeOptions,
  'dataDir' | 'kubeconfig' | 'progress'
> {
  name: string;
  drainTimeoutMs?: number;
}

export async function removeDockerNode(options: RemoveDockerNodeOptions): Promise<void> {
  const { name } = options;
  const record = await readNodeRecord(options.dataDir, name);
  const cluster = await connectCluster(options.dataDir, options.kubeconfig);
  try {
    const exists = await nodeExists(cluster.api, name);
    if (!record && !exists) throw new EnrollmentError('NodeNotFound', `there is no node "${name}"`);
    if (!record)
      throw new EnrollmentError(
        'NodeNotFound',
        `node "${name}" was not added from this data dir as a Docker node; delete it with \`kubectl delete node ${name}\``,
      );
    await teardownDockerNode({
      api: cluster.api,
      dataDir: options.dataDir,
      record,
      ...(options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
    });
  } finally {
    cluster.close();
  }
}

/**
 * Takes a Docker node out: cordon and drain, stop the agent, `agent --teardown`, check nothing is
 * left, delete the Node and its Lease, then the node's folder (with node.json, last: until then a
 * re-run knows what to remove). Used by `flotilla node remove` for nodes without a Machine and by
 * the enrollment controller when a docker Machine is deleted.
 */
export async function teardownDockerNode(options: {
  api: KubeApi;
  dataDir: string;
  record: NodeRecord;
  drainTimeoutMs?: number;
  progress?: (line: string) => void;
}): Promise<void> {
  const progress = options.progress ?? (() => {});
  const { api, record } = options;
  const name = record.nodeName;
  const exists = await nodeExists(api, name);
  if (exists) {
    progress(`Cordoning node ${name}`);
    await api.patch(NODES, name, undefined, { spec: { unschedulable: true } }, 'merge').catch(ignore404);
    progress(`Draining node ${name}`);
    await drain(api, name, options.drainTimeoutMs ?? 60_000, progress);
  }

  progress(`Connecting to the Docker engine at ${record.dockerHost}`);
  const engine = await connectEngine(record.dockerHost);
  progress(`Stopping the agent container ${record.containerName}`);
  await removeAgentContainer(engine, name);
  progress('Removing what the agent created (agent --teardown: containers, pod network, iptables rules)');
  const dir = nodeDir(options.dataDir, name);
  const log = await runTeardown(engine, { nodeName: name, image: record.image, dir, engine });
  for (const line of log.split('\n').filter(Boolean).slice(-10)) progress(`  ${line}`);
  await checkNothingLeft(engine, name, record.networkName);

  if (exists) {
    progress(`Deleting node ${name}`);
    await api.delete(NODES, name).catch(ignore404);
    await api.delete(LEASES, name, 'kube-node-lease').catch(ignore404);
  }
  progress(`Removing ${dir}`);
  await removeDir(engine, record.image, dir);
  progress(`Node ${name} removed.`);
}

async function nodeExists(api: KubeApi, name: string): Promise<boolean> {
  try {
    await api.get(NODES, name);
    return true;
  } catch (err) {
    if (isKubeApiError(err, 404)) return false;
    throw err;
  }
}

/**
 * Deletes every pod bound to the node (gracefully: the agent stops the containers and removes the
 * pod), waits for them to go, and force-deletes what is left at the deadline.
 */
async function drain(
  api: KubeApi,
  node: string,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<void> {
  const list = async () =>
    (
      await api.list<{ metadata?: { name?: string; namespace?: string } }>(PODS, {
        fieldSelector: `spec.nodeName=${node}`,
      })
    ).items;
  const pods = await list();
  if (pods.length === 0) return;
  progress(`  deleting ${pods.length} pod(s)`);
  for (const p of pods) await api.delete(PODS, p.metadata!.name!, p.metadata!.namespace).catch(ignore404);
  const deadline = Date.now() + timeoutMs;
  let left = pods;
  while (Date.now() < deadline) {
    left = await list();
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  progress(
    `  ${left.length} pod(s) did not stop within ${Math.round(timeoutMs / 1000)} s: deleting them now`,
  );
  for (const p of left)
    await api
      .delete(PODS, p.metadata!.name!, p.metadata!.namespace, { gracePeriodSeconds: 0 })
      .catch(ignore404);
  if ((await list()).length > 0)
    throw new EnrollmentError('DrainFailed', `pods of node ${node} could not be deleted`);
}

/** After teardown: no container of the node's pods and no pod network may remain. */
async function checkNothingLeft(engine: Engine, node: string, networkName: string): Promise<void> {
  const containers = await engine.docker.listContainers({
    all: true,
    filters: { label: [`${POD_CONTAINER_NODE_LABEL}=${node}`] },
  });
  let network = false;
  try {
    await engine.docker.getNetwork(networkName).inspect();
    network = true;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (containers.length > 0 || network) {
    throw new EnrollmentError(
      'TeardownFailed',
      `agent --teardown left ${containers.length} container(s)${network ? ` and the network ${networkName}` : ''} behind: ${containers.map((c) => c.Names[0]).join(', ')}`,
    );
  }
}

/**
 * The node's folder holds files the agent (root, in its container) wrote, which this user may not be
 * allowed to delete: if so, delete them through the engine, in the agent's image.
 */
export async function removeDir(engine: Engine, image: string, dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
  }
  const parent = dir.slice(0, dir.lastIndexOf('/'));
  const container = await engine.docker.createContainer({
    Image: image,
    Entrypoint: [IMAGE_NODE],
    Cmd: ['-e', `require('fs').rmSync(${JSON.stringify(dir)}, { recursive: true, force: true })`],
    HostConfig: { Binds: [`${parent}:${parent}`] },
  });
  try {
    await container.start();
    await container.wait();
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

function ignore404(err: unknown): void {
  if (!isKubeApiError(err, 404)) throw err;
}
