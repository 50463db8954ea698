// Removing a Machine of type `docker` (deleted, still carrying our finalizer): exactly what
// `flotilla node remove` does for a Docker node — cordon, drain, stop the agent container, `agent
// --teardown` (pod containers, pod network, iptables chains), check nothing is left, delete the Node
// and its Lease and the node's folder. Only what this data dir's node record says is ours is touched:
// a Machine that failed before its agent was started (an unreachable engine, a name taken by another
// node, an engine running another node's agent) created nothing on the engine and never owned the
// Node, so only its folder, if any, goes.
import { rm } from 'node:fs/promises';
import type { Machine } from '../../shared/machine';
import { isKubeApiError } from '../../shared/kube/types';
import { nodeDir, readNodeRecord } from '../docker/node-files';
import { teardownDockerNode } from '../docker/remove-node';
import { nodeNameOf, writeStatus, type EnrollContext } from './enroll';
import { withCondition } from './status';

export async function removeDockerMachine(
  ctx: Pick<EnrollContext, 'api' | 'events' | 'dataDir' | 'now'>,
  machine: Machine,
  drainTimeoutMs = 30_000,
): Promise<void> {
  const name = machine.metadata.name;
  const nodeName = nodeNameOf(machine);
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    ctx.events.event(machine as never, type, reason, message);
  if (machine.status?.phase !== 'Removing')
    await writeStatus(ctx.api, name, { ...machine.status, phase: 'Removing' }).catch((err: unknown) => {
      if (!isKubeApiError(err, 404)) throw err;
    });

  const record = await readNodeRecord(ctx.dataDir, nodeName);
  if (!record) {
    await rm(nodeDir(ctx.dataDir, nodeName), { recursive: true, force: true });
    event('Normal', 'Removed', `no agent was started for node ${nodeName}: nothing to remove`);
    return;
  }
  try {
    await teardownDockerNode({ api: ctx.api, dataDir: ctx.dataDir, record, drainTimeoutMs });
  } catch (err) {
    // Retried with backoff by the controller; meanwhile status and an Event say what stands in the way.
    const message = `removing node ${nodeName} failed (retrying): ${err instanceof Error ? err.message : String(err)}`;
    const code = (err as { code?: unknown }).code;
    const status = withCondition(
      { ...machine.status, phase: 'Removing' },
      { type: 'Ready', status: 'False', reason: typeof code === 'string' ? code : 'RemovalFailed', message },
      ctx.now(),
    );
    await writeStatus(ctx.api, name, status).catch(() => undefined);
    event('Warning', 'RemoveFailed', message);
    throw err;
  }
  event(
    'Normal',
    'Uninstalled',
    `node ${nodeName} drained and deleted; agent container, pod containers, pod network and iptables rules removed`,
  );
}
