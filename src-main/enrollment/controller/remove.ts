// Removing an SSH Machine (it is being deleted and still carries our finalizer): cordon and drain its
// node, stop the supervisor and the agent, run `agent --teardown` (containers, pod network, iptables
// chains), delete every file Flotilla put there, delete the Node and its Lease. A machine that never
// got as far as receiving the agent is left alone (nothing was installed; it may not even accept us).
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi } from '../../shared/kube/types';
import type { Machine } from '../../shared/machine';
import { connectSsh } from '../ssh';
import { LEASES, machineTarget, nodeNameOf, NODES, PODS, writeStatus, type EnrollContext } from './enroll';
import { removeMachineFiles } from './node-files';
import { removeFilesCommand, stopAgentCommand, teardownCommand } from './remote';
import { normalizeSteps } from './status';

function ignore404(err: unknown): void {
  if (!isKubeApiError(err, 404)) throw err;
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

/** Deletes the node's pods (the agent stops their containers), forcing what is left at the deadline. */
async function drain(api: KubeApi, node: string, timeoutMs: number): Promise<void> {
  type P = { metadata?: { name?: string; namespace?: string } };
  const list = async () => (await api.list<P>(PODS, { fieldSelector: `spec.nodeName=${node}` })).items;
  let pods = await list();
  for (const p of pods) await api.delete(PODS, p.metadata!.name!, p.metadata!.namespace).catch(ignore404);
  const deadline = Date.now() + timeoutMs;
  while (pods.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    pods = await list();
  }
  for (const p of pods)
    await api
      .delete(PODS, p.metadata!.name!, p.metadata!.namespace, { gracePeriodSeconds: 0 })
      .catch(ignore404);
}

export async function removeMachine(
  ctx: EnrollContext,
  machine: Machine,
  drainTimeoutMs = 30_000,
): Promise<void> {
  const name = machine.metadata.name;
  const nodeName = nodeNameOf(machine);
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    ctx.events.event(machine as never, type, reason, message);
  if (machine.status?.phase !== 'Removing')
    await writeStatus(ctx.api, name, { ...machine.status, phase: 'Removing' }).catch(ignore404);

  const exists = await nodeExists(ctx.api, nodeName);
  if (exists) {
    await ctx.api
      .patch(NODES, nodeName, undefined, { spec: { unschedulable: true } }, 'merge')
      .catch(ignore404);
    await drain(ctx.api, nodeName, drainTimeoutMs);
    event('Normal', 'Drained', `node ${nodeName} cordoned and drained`);
  }

  const pushed = normalizeSteps(machine.status?.steps).find((s) => s.name === 'push-agent');
  if (pushed?.state !== 'pending' || exists) {
    const conn = await connectSsh(await machineTarget(ctx.api, machine), { timeoutMs: 15_000 });
    try {
      await conn.run(stopAgentCommand(ctx.layout), { timeoutMs: 30_000 });
      const teardown = await conn.exec(teardownCommand(ctx.layout), { timeoutMs: 120_000 });
      if (teardown.code !== 0)
        throw new Error(
          `agent --teardown failed (exit ${teardown.code}): ${teardown.stderr.trim().split('\n').slice(-3).join(' / ')}`,
        );
      await conn.run(removeFilesCommand(ctx.layout));
    } finally {
      conn.close();
    }
    event(
      'Normal',
      'Uninstalled',
      `agent stopped, its containers, network and rules removed, ${ctx.layout.baseDir} deleted`,
    );
  }
  if (exists) {
    await ctx.api.delete(NODES, nodeName).catch(ignore404);
    await ctx.api.delete(LEASES, nodeName, 'kube-node-lease').catch(ignore404);
  }
  await removeMachineFiles(ctx.dataDir, name);
}
