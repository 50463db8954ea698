// Enrolling a Machine of type `docker`: a Docker engine (the local one unless spec.docker.host names
// another) becomes a node, through the same steps as every Docker node (../docker/add-node). The
// Machine's step list is the one every Machine has; for an engine it means:
//   connect          the engine answers (its version)
//   verify-host-key  skipped: a Docker socket has no host key
//   preflight        the node name is free, the engine runs no other node's agent, and the agent's
//                    runtime image is on the engine (made from this machine's node binary if not)
//   push-agent       the agent bundle and the node's folder (certificates, config), kept when unchanged
//   start-agent      the agent container (kept when running; restarted when its files changed)
//   wait-ready       the Node reports Ready
// Each step is idempotent, so a re-run after a failure or a restart picks up where it stopped.
// Progress goes to status.steps (status subresource) and to one Event per step.
import type Docker from 'dockerode';
import type { Machine, MachineStatus, MachineStepName } from '../../shared/machine';
import {
  agentDockerHost,
  checkNameAndEngine,
  checkNodeName,
  startNodeAgent,
  waitForReady,
} from '../docker/add-node';
import { agentContainerName } from '../docker/agent-container';
import { connectEngine, DEFAULT_SOCKET, type Engine } from '../docker/engine';
import { loadClusterCa, writeNodeFiles } from '../docker/node-files';
import { ensureRuntimeImage } from '../docker/runtime-image';
import { nodeNameOf, StepStopped, stepReason, writeStatus, type EnrollContext } from './enroll';
import { normalizeSteps, withCondition, withPhase, withStep } from './status';

/** On a docker Machine: the port of the agent API on the host (default 10250). */
export const AGENT_PORT_ANNOTATION = 'docker.flotilla.dev/agent-port';

export interface DockerEnrollContext extends Pick<
  EnrollContext,
  'api' | 'events' | 'dataDir' | 'agentBundle' | 'readyTimeoutMs' | 'now'
> {
  /** https://HOST:PORT of the API server as an agent with host networking on this machine reaches it. */
  apiServer: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EnrollmentFailed';
}

/** The engine a docker Machine names, as connectEngine takes it. */
export function machineDockerHost(m: Machine): string {
  return m.spec.docker?.host || process.env.DOCKER_HOST || `unix://${DEFAULT_SOCKET}`;
}

export function machineAgentPort(m: Machine): number | undefined {
  const annotations = (m.metadata.annotations ?? {}) as Record<string, string>;
  const text = annotations[AGENT_PORT_ANNOTATION];
  if (text === undefined) return undefined;
  const port = Number(text);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

export async function enrollDockerMachine(
  ctx: DockerEnrollContext,
  machine: Machine,
): Promise<MachineStatus> {
  const name = machine.metadata.name;
  const nodeName = nodeNameOf(machine);
  const host = machineDockerHost(machine);
  let status: MachineStatus = {
    ...machine.status,
    steps: normalizeSteps(machine.status?.steps),
    nodeName,
  };
  // observedGeneration moves only with the outcome (Ready or Failed): until then a reader (the CLI,
  // the UI, a test) must not take the previous run's phase for this spec's.
  const generation = machine.metadata.generation as number | undefined;
  const settled = (next: MachineStatus): MachineStatus =>
    generation === undefined ? next : { ...next, observedGeneration: generation };
  const save = async (next: MachineStatus) => {
    status = next;
    await writeStatus(ctx.api, name, status);
  };
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    ctx.events.event(machine as never, type, reason, message);
  const wasReady = status.phase === 'Ready';

  const run = async <T>(
    step: MachineStepName,
    body: () => Promise<{ value: T; message: string }>,
  ): Promise<T> => {
    await save(
      withPhase(
        withStep(status, step, 'running', undefined, ctx.now()),
        wasReady ? 'Ready' : step === 'connect' ? 'Connecting' : 'Enrolling',
      ),
    );
    let result: { value: T; message: string };
    try {
      result = await body();
    } catch (err) {
      const message = errorText(err);
      let next = withStep(status, step, 'failed', message, ctx.now());
      next = withCondition(
        next,
        { type: 'Ready', status: 'False', reason: errorCode(err), message },
        ctx.now(),
      );
      await save(settled(withPhase(next, 'Failed')));
      event('Warning', `${stepReason(step)}Failed`, message);
      throw new StepStopped('failed');
    }
    await save(withStep(status, step, 'done', result.message, ctx.now()));
    event('Normal', stepReason(step), result.message);
    return result.value;
  };

  const engine = await run<Engine & { version: string }>('connect', async () => {
    checkNodeName(nodeName);
    const e = await connectEngine(host);
    return { value: e, message: `Docker ${e.version} at ${e.host}` };
  });

  if (stepState(status, 'verify-host-key') !== 'skipped') {
    await save(
      withStep(status, 'verify-host-key', 'skipped', 'a Docker engine socket has no host key', ctx.now()),
    );
  }

  const image = await run('preflight', async () => {
    await checkNameAndEngine(engine, ctx.api, ctx.dataDir, nodeName);
    // The CA first: without it (not the control plane's machine) nothing else can work.
    await loadClusterCa(ctx.dataDir);
    const notes: string[] = [];
    const img = await ensureRuntimeImage(engine, { log: (l) => notes.push(l) });
    return {
      value: img,
      message: `node name ${nodeName} is free, the engine runs no other node's agent; agent runtime image ${img}${notes.length ? ` (${notes.join('; ')})` : ''}`,
    };
  });

  const agentPort = machineAgentPort(machine);
  const files = await run('push-agent', async () => {
    const bundlePath = await ctx.agentBundle();
    const written = await writeNodeFiles({
      dataDir: ctx.dataDir,
      nodeName,
      apiServer: ctx.apiServer,
      ca: await loadClusterCa(ctx.dataDir),
      bundlePath,
      ...(agentPort !== undefined ? { agentPort } : {}),
      agentDockerHost: agentDockerHost(engine),
      ...(machine.spec.labels ? { labels: machine.spec.labels } : {}),
      ...(machine.spec.taints ? { taints: machine.spec.taints } : {}),
    });
    return {
      value: written,
      message: `agent bundle and node certificates (system:node:${nodeName}) in ${written.dir}${written.changed ? '' : ' (unchanged)'}; the agent talks to ${ctx.apiServer}`,
    };
  });

  const container = await run<Docker.Container>('start-agent', async () => {
    const started = await startNodeAgent({
      engine,
      dataDir: ctx.dataDir,
      nodeName,
      image,
      dir: files.dir,
      ...(agentPort !== undefined ? { agentPort } : {}),
      restart: files.changed,
    });
    const what = started.started
      ? 'started'
      : started.restarted
        ? 'restarted (new files)'
        : 'already running';
    return {
      value: started.container,
      message: `agent container ${agentContainerName(nodeName)} ${what} (host network, restart unless-stopped, watched by the control plane)`,
    };
  });

  await run('wait-ready', async () => {
    await waitForReady(ctx.api, container, nodeName, ctx.readyTimeoutMs);
    return { value: undefined, message: `node ${nodeName} is Ready` };
  });

  const done = withCondition(
    { ...status, reachability: 'direct' },
    { type: 'Ready', status: 'True', reason: 'NodeReady', message: `node ${nodeName} is Ready` },
    ctx.now(),
  );
  await save(settled(withPhase(done, 'Ready')));
  if (!wasReady) event('Normal', 'Enrolled', `node ${nodeName} is Ready`);
  return status;
}

function stepState(status: MachineStatus, step: MachineStepName): string | undefined {
  return normalizeSteps(status.steps).find((s) => s.name === step)?.state;
}
