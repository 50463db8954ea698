// A pod's status from what the runtime shows, the reasons the last sync could not start a container,
// and the probe results. Pure: the same inputs always give the same status, so the agent can compute
// it on every pass and write it only when it changed.
import type { RuntimeContainer } from '../runtime/types';
import type { ContainerWaitingReason } from './errors';
import type {
  Container,
  ContainerState,
  ContainerStateTerminated,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodStatus,
} from './types';
import { restartPolicyOf } from './types';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure';

/** Probe results by container id; undefined = no result yet. */
export interface ProbeResults {
  get(containerId: string, kind: ProbeKind): ProbeResult | undefined;
}

export const noProbeResults: ProbeResults = { get: () => undefined };

export interface WaitingReason {
  reason: ContainerWaitingReason;
  message: string;
}

export interface StatusInput {
  pod: Pod;
  /** The pod's current sandbox (newest attempt), if any. */
  sandbox?: RuntimeContainer;
  /** The pod's containers (init and app), all attempts. */
  containers: RuntimeContainer[];
  /** Why the last sync could not start a container, by container name. */
  waiting: ReadonlyMap<string, WaitingReason>;
  probes: ProbeResults;
  hostIP: string;
  /** When the agent first saw the pod (RFC 3339), used when the status has no startTime yet. */
  firstSeen: string;
  now: string;
}

/** Instances of a spec container, newest attempt first. */
export function instancesOf(
  containers: RuntimeContainer[],
  kind: 'init' | 'app',
  name: string,
): RuntimeContainer[] {
  return containers
    .filter((c) => c.ref.kind === kind && c.ref.containerName === name)
    .sort((a, b) => b.ref.attempt - a.ref.attempt);
}

export function terminatedState(c: RuntimeContainer): ContainerStateTerminated {
  const exitCode = c.exitCode ?? (c.error ? 128 : 0);
  let reason: string;
  if (c.oomKilled) reason = 'OOMKilled';
  else if (c.error && !c.startedAt) reason = 'ContainerCannotRun';
  else if (exitCode === 0) reason = 'Completed';
  else reason = 'Error';
  const t: ContainerStateTerminated = { exitCode, reason, containerID: `docker://${c.id}` };
  if (c.error) t.message = c.error;
  if (exitCode > 128 && exitCode < 160) t.signal = exitCode - 128;
  if (c.startedAt) t.startedAt = c.startedAt;
  if (c.finishedAt) t.finishedAt = c.finishedAt;
  return t;
}

/** An instance that ended (or could never start). */
export function hasEnded(c: RuntimeContainer): boolean {
  return c.state === 'exited' || (c.state === 'created' && !!c.error);
}

function containerStatus(
  spec: Container,
  kind: 'init' | 'app',
  input: StatusInput,
  notYet: 'ContainerCreating' | 'PodInitializing',
): ContainerStatus {
  const [latest, previous] = instancesOf(input.containers, kind, spec.name);
  const waiting = input.waiting.get(spec.name);
  let state: ContainerState;
  let lastState: ContainerState = {};
  let ready = false;
  let started = false;

  if (latest?.state === 'running') {
    state = { running: latest.startedAt ? { startedAt: latest.startedAt } : {} };
    if (previous && hasEnded(previous)) lastState = { terminated: terminatedState(previous) };
    const startup = spec.startupProbe ? input.probes.get(latest.id, 'startup') : 'success';
    started = startup === 'success';
    const readiness = spec.readinessProbe ? input.probes.get(latest.id, 'readiness') : 'success';
    ready = started && readiness === 'success';
  } else if (waiting) {
    // A container that ended and waits to be restarted (or whose restart failed) shows the wait,
    // with the ended instance as its last state.
    state = { waiting: { reason: waiting.reason, message: waiting.message } };
    if (latest && hasEnded(latest)) lastState = { terminated: terminatedState(latest) };
  } else if (latest && hasEnded(latest)) {
    state = { terminated: terminatedState(latest) };
    if (previous && hasEnded(previous)) lastState = { terminated: terminatedState(previous) };
    // kubelet reports a successfully completed init container as ready.
    ready = kind === 'init' && state.terminated?.exitCode === 0;
  } else {
    state = { waiting: { reason: notYet } };
  }

  const status: ContainerStatus = {
    name: spec.name,
    state,
    lastState,
    ready,
    restartCount: latest?.ref.attempt ?? 0,
    image: spec.image ?? '',
    imageID: latest?.imageId ? `docker://${latest.imageId}` : '',
    started,
  };
  if (latest) status.containerID = `docker://${latest.id}`;
  return status;
}

/** kubelet's getPhase, for our inputs. */
export function podPhase(pod: Pod, init: ContainerStatus[], app: ContainerStatus[]): PodPhase {
  const policy = restartPolicyOf(pod);
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of init) {
    const t = s.state.terminated;
    if (t && t.exitCode === 0) continue;
    if (t || (s.state.waiting && s.lastState.terminated && s.lastState.terminated.exitCode !== 0))
      failedInit++;
    pendingInit++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';

  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of app) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    }
  }
  if (pendingInit > 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(
  previous: PodCondition[] | undefined,
  type: string,
  ok: boolean,
  now: string,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  const c: PodCondition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime:
      before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
  };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export function computePodStatus(input: StatusInput): PodStatus {
  const { pod } = input;
  const previous = pod.status ?? {};
  const initSpecs = pod.spec.initContainers ?? [];
  const init = initSpecs.map((c) => containerStatus(c, 'init', input, 'ContainerCreating'));
  const initDone = init.every((s) => s.state.terminated?.exitCode === 0);
  const app = pod.spec.containers.map((c) =>
    containerStatus(c, 'app', input, initDone ? 'ContainerCreating' : 'PodInitializing'),
  );
  const phase = podPhase(pod, init, app);
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const unready = app.filter((s) => !s.ready).map((s) => s.name);
  const incomplete = init.filter((s) => s.state.terminated?.exitCode !== 0).map((s) => s.name);
  const gatesOk = (pod.spec.readinessGates ?? []).every(
    (g) => previous.conditions?.find((c) => c.type === g.conditionType)?.status === 'True',
  );
  const containersReady = unready.length === 0 && !terminal;
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const now = input.now;
  const sandboxUp = input.sandbox?.state === 'running' && !!input.sandbox.ip;

  const conditions: PodCondition[] = [
    condition(previous.conditions, 'PodReadyToStartContainers', sandboxUp, now),
    condition(
      previous.conditions,
      'Initialized',
      initDone,
      now,
      'ContainersNotInitialized',
      `containers with incomplete status: [${incomplete.join(' ')}]`,
    ),
    condition(
      previous.conditions,
      'Ready',
      containersReady && gatesOk,
      now,
      containersReady ? 'ReadinessGatesNotReady' : notReadyReason,
      containersReady ? 'the status of pod readiness gates is not "True"' : notReadyMessage,
    ),
    condition(previous.conditions, 'ContainersReady', containersReady, now, notReadyReason, notReadyMessage),
    condition(previous.conditions, 'PodScheduled', true, now),
  ];
  // Conditions other components own (readiness gates, DisruptionTarget…) are kept.
  const ours = new Set(conditions.map((c) => c.type));
  for (const c of previous.conditions ?? []) if (!ours.has(c.type)) conditions.push(c);

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: previous.startTime ?? input.firstSeen,
    containerStatuses: app,
  };
  if (init.length) status.initContainerStatuses = init;
  const podIP = (sandboxUp ? input.sandbox?.ip : undefined) ?? previous.podIP;
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  if (previous.qosClass) status.qosClass = previous.qosClass;
  return status;
}

/** Equal statuses, ignoring nothing: used to skip writes that would change nothing. */
export function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}
