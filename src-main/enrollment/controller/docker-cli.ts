// `flotilla node add docker` and the Docker half of `flotilla node remove`, as API clients: one path
// with the UI and kubectl. `add` creates a Machine of type `docker` and follows its status while the
// enrollment controller of `flotilla server` (or of the desktop app) enrolls the engine, printing
// each step as it starts and ends, in the words the command has always printed. When enrollment
// fails the command deletes the Machine again (the controller removes whatever was made, which for a
// preflight failure is nothing) and exits with the reason: a failed `node add docker` leaves nothing
// behind and can simply be run again. (`node add ssh` keeps a failed Machine for inspection.)
// `remove` deletes the node's Machine and waits until the controller has drained and removed it;
// Docker nodes added before Machines existed (a node record and no Machine) are removed directly.
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../../shared/kube/types';
import { MACHINE_API_VERSION, MACHINE_KIND, type Machine, type MachineStep } from '../../shared/machine';
import { connectCluster, defaultNodeName, type DockerNodeOptions } from '../docker/add-node';
import { agentContainerName } from '../docker/agent-container';
import { removeDockerNode as removeNodeWithoutMachine } from '../docker/remove-node';
import type { RemoveDockerNodeOptions } from '../docker/remove-node';
import { AGENT_PORT_ANNOTATION } from './docker-enroll';
import { MACHINES } from './enroll';
import { normalizeSteps } from './status';

type MachineObject = Machine & KubeObjectLike;

/** The error the CLI prints as `flotilla: MESSAGE [CODE]`. */
export class DockerNodeError extends Error {
  override readonly name = 'EnrollmentError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The engine to put in spec.docker.host: --docker-host, else DOCKER_HOST, else absent (the local default). */
export function dockerHostForSpec(
  option: string | undefined,
  env = process.env.DOCKER_HOST,
): string | undefined {
  const host = option || env;
  if (!host) return undefined;
  return host.startsWith('/') ? `unix://${host}` : host;
}

/** What the command prints when a step starts (the step's message follows, indented, when it ends). */
function heading(step: MachineStep['name'], machine: MachineObject, nodeName: string): string | undefined {
  switch (step) {
    case 'connect':
      return `Connecting to the Docker engine at ${machine.spec.docker?.host ?? 'the local default (DOCKER_HOST or /var/run/docker.sock)'}`;
    case 'preflight':
      return 'Checking the node name and the engine; preparing the agent runtime image';
    case 'push-agent':
      return `Preparing the agent bundle, issuing the node's certificates (system:node:${nodeName})`;
    case 'start-agent':
      return `Starting the agent container ${agentContainerName(nodeName)}`;
    case 'wait-ready':
      return `Waiting for node ${nodeName} to become Ready`;
    default:
      return undefined;
  }
}

export async function addDockerNode(
  options: DockerNodeOptions & { timeoutMs?: number },
): Promise<{ nodeName: string; ms: number }> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  const name = options.name ?? defaultNodeName();
  const host = dockerHostForSpec(options.dockerHost);
  const client = await connectCluster(options.dataDir, options.kubeconfig);
  const api = client.api;
  try {
    const machine: MachineObject = {
      apiVersion: MACHINE_API_VERSION,
      kind: MACHINE_KIND,
      metadata: {
        name,
        ...(options.agentPort !== undefined
          ? { annotations: { [AGENT_PORT_ANNOTATION]: String(options.agentPort) } }
          : {}),
      },
      spec: { type: 'docker', ...(host ? { docker: { host } } : {}) },
    };
    try {
      await api.create<MachineObject>(MACHINES, machine);
    } catch (err) {
      if (isKubeApiError(err, 409))
        throw new DockerNodeError(
          'MachineExists',
          `a machine named "${name}" exists already; remove it with \`flotilla node remove ${name}\` or choose another --name`,
        );
      if (isKubeApiError(err, 422)) throw new DockerNodeError('InvalidArgument', (err as Error).message);
      throw err;
    }
    progress(`Machine ${name} created (docker${host ? ` ${host}` : ''}); the control plane enrolls it`);
    const outcome = await follow(api, name, progress, options.timeoutMs ?? 180_000);
    if (outcome.ok) {
      progress(`Node ${outcome.nodeName} is Ready.`);
      progress(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return { nodeName: outcome.nodeName, ms: Date.now() - started };
    }
    progress(`Enrollment failed; removing machine ${name}`);
    await api.delete(MACHINES, name).catch((err: unknown) => {
      if (!isKubeApiError(err, 404)) throw err;
    });
    await waitGone(api, name, 120_000);
    throw new DockerNodeError(outcome.code, outcome.message);
  } finally {
    client.close();
  }
}

type Outcome = { ok: true; nodeName: string } | { ok: false; code: string; message: string };

async function follow(
  api: KubeApi,
  name: string,
  progress: (line: string) => void,
  timeoutMs: number,
): Promise<Outcome> {
  const deadline = Date.now() + timeoutMs;
  const printed = new Map<string, string>();
  let unreachable = false;
  const noControllerAt = Date.now() + 15_000;
  while (Date.now() < deadline) {
    let m: MachineObject;
    try {
      m = await api.get<MachineObject>(MACHINES, name);
      unreachable = false;
    } catch (err) {
      if (isKubeApiError(err)) throw err;
      // The control plane restarting: the enrollment resumes there, so keep following.
      if (!unreachable) progress(`  (control plane unreachable: ${(err as Error).message}; waiting)`);
      unreachable = true;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    const nodeName = m.status?.nodeName ?? m.spec.nodeName ?? name;
    for (const s of normalizeSteps(m.status?.steps)) {
      if (s.state === 'pending' || s.state === 'skipped') continue;
      const seen = printed.get(s.name);
      if (seen === undefined) {
        const h = heading(s.name, m, nodeName);
        if (h) progress(h);
        printed.set(s.name, 'running');
      }
      if ((s.state === 'done' || s.state === 'failed') && printed.get(s.name) === 'running') {
        if (s.message && s.state === 'done') progress(`  ${s.message}`);
        printed.set(s.name, s.state);
      }
    }
    const current = m.status?.observedGeneration === (m.metadata as { generation?: number }).generation;
    if (m.status?.phase === 'Ready' && current) return { ok: true, nodeName };
    if (m.status?.phase === 'Failed' && current) {
      const failed = normalizeSteps(m.status.steps).find((s) => s.state === 'failed');
      const ready = m.status.conditions?.find((c) => c.type === 'Ready');
      return {
        ok: false,
        code: ready?.reason ?? 'EnrollmentFailed',
        message: failed?.message ?? ready?.message ?? 'enrollment failed',
      };
    }
    if (!m.status?.phase && Date.now() > noControllerAt)
      throw new DockerNodeError(
        'NoEnrollmentController',
        `nothing picked machine ${name} up in 15 s: is the enrollment controller running (\`flotilla server\` or the desktop app)? Remove it with \`kubectl delete machine ${name}\``,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new DockerNodeError('Timeout', `machine ${name} did not finish enrolling in time`);
}

/** Waits for the controller to remove the Machine, printing why when a removal attempt fails. */
async function waitGone(
  api: KubeApi,
  name: string,
  timeoutMs: number,
  progress: (line: string) => void = () => {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let said = '';
  let last = '';
  while (Date.now() < deadline) {
    try {
      const m = await api.get<MachineObject>(MACHINES, name);
      const ready = m.status?.conditions?.find((c) => c.type === 'Ready');
      if (m.status?.phase === 'Removing' && ready?.message?.startsWith('removing ')) {
        last = ready.message;
        if (last !== said) progress(`  ${(said = last)}`);
      }
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new DockerNodeError('Timeout', `machine ${name} was not removed in time${last ? `: ${last}` : ''}`);
}

/**
 * Removes a Docker node: through its Machine when it has one (found by name or by spec.nodeName),
 * otherwise directly (a node added before Machines existed).
 */
export async function removeDockerNode(
  options: RemoveDockerNodeOptions & { timeoutMs?: number },
): Promise<void> {
  const progress = options.progress ?? (() => {});
  const client = await connectCluster(options.dataDir, options.kubeconfig);
  const api = client.api;
  try {
    const machines = (await api.list<MachineObject>(MACHINES)).items.filter(
      (m) => m.spec.type === 'docker' && (m.spec.nodeName ?? m.metadata.name) === options.name,
    );
    const machine = machines.find((m) => m.metadata.name === options.name) ?? machines[0];
    if (!machine) {
      await removeNodeWithoutMachine(options);
      return;
    }
    const name = machine.metadata.name;
    progress(`Draining node ${options.name} and removing machine ${name} (agent, pod network, rules)`);
    await api.delete(MACHINES, name).catch((err: unknown) => {
      if (!isKubeApiError(err, 404)) throw err;
    });
    await waitGone(api, name, options.timeoutMs ?? 180_000, progress);
    progress(`Node ${options.name} removed.`);
  } finally {
    client.close();
  }
}
