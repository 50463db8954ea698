// What one sync pass must do to a pod, from its spec and what the runtime shows (kubelet's
// computePodActions). Pure and synchronous: the backoff is only read here; the executor records
// restarts in it when it acts.
import type { RuntimeContainer } from '../runtime/types';
import type { Backoff } from './backoff';
import { containerSpecHash, gracePeriodOf } from './translate';
import type { ProbeResults } from './status';
import { hasEnded, instancesOf } from './status';
import type { Container, Pod } from './types';
import { restartPolicyOf } from './types';

export interface PodRuntimeState {
  sandboxes: RuntimeContainer[];
  containers: RuntimeContainer[];
}

export interface StartAction {
  container: Container;
  kind: 'init' | 'app';
  attempt: number;
  /** The backoff key to record the restart under (a restart, not a first start). */
  restartKey?: string;
  /** When the instance being replaced finished (ms), for the backoff record. */
  restartOf?: number;
}

export interface KillAction {
  container: RuntimeContainer;
  reason: string;
  message: string;
  gracePeriodSeconds: number;
}

export interface BackoffWait {
  containerName: string;
  message: string;
  /** When the backoff ends (ms): the executor schedules a resync then. */
  retryAt: number;
}

export interface PodActions {
  /** Create a new sandbox (after killing everything of the pod that still runs). */
  createSandbox?: { attempt: number; reason: string };
  /** Stop the current sandbox: the pod is done (Succeeded/Failed) and keeps no network. */
  stopSandbox?: RuntimeContainer;
  kill: KillAction[];
  start: StartAction[];
  backoff: BackoffWait[];
  /** Old dead instances and sandboxes to remove (the newest dead instance is kept for --previous logs). */
  remove: RuntimeContainer[];
  /** The pod has finished for good (restart policy says no more runs). */
  done: boolean;
}

export function backoffKey(pod: Pod, container: Container): string {
  return `${pod.metadata.uid ?? ''}/${container.name}/${containerSpecHash(container)}`;
}

function timeMs(value: string | undefined, fallback: number): number {
  const t = value ? Date.parse(value) : NaN;
  return Number.isNaN(t) ? fallback : t;
}

function shouldRestart(pod: Pod, ended: RuntimeContainer): boolean {
  const policy = restartPolicyOf(pod);
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return (ended.exitCode ?? 1) !== 0 || !!ended.error;
  return false;
}

function byAttemptDesc(a: RuntimeContainer, b: RuntimeContainer): number {
  return b.ref.attempt - a.ref.attempt;
}

/**
 * Decides a restart of an ended container: start now (recording the restart in the backoff), or
 * wait out the backoff (CrashLoopBackOff).
 */
function restartOrWait(
  pod: Pod,
  spec: Container,
  kind: 'init' | 'app',
  ended: RuntimeContainer,
  backoff: Backoff,
  now: number,
  out: PodActions,
): void {
  const key = backoffKey(pod, spec);
  const finished = timeMs(ended.finishedAt, now);
  if (backoff.isInBackOffSince(key, finished)) {
    const delay = Math.round(backoff.delayMs(key) / 1000);
    out.backoff.push({
      containerName: spec.name,
      message: `back-off ${delay}s restarting failed container=${spec.name} pod=${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})`,
      retryAt: backoff.readyAt(key, finished),
    });
    return;
  }
  out.start.push({
    container: spec,
    kind,
    attempt: ended.ref.attempt + 1,
    restartKey: key,
    restartOf: finished,
  });
}

export function computePodActions(
  pod: Pod,
  state: PodRuntimeState,
  ctx: { now: number; backoff: Backoff; probes: ProbeResults },
): PodActions {
  const out: PodActions = { kill: [], start: [], backoff: [], remove: [], done: false };
  const grace = gracePeriodOf(pod);
  const policy = restartPolicyOf(pod);
  const sandboxes = [...state.sandboxes].sort(byAttemptDesc);
  const sandbox = sandboxes[0];
  out.remove.push(...sandboxes.slice(1).filter((s) => s.state !== 'running'));
  const initSpecs = pod.spec.initContainers ?? [];
  const appSpecs = pod.spec.containers;

  // Instances whose container name is no longer in the spec: stop and remove them.
  const known = new Set([...initSpecs.map((c) => `init/${c.name}`), ...appSpecs.map((c) => `app/${c.name}`)]);
  for (const c of state.containers) {
    if (!known.has(`${c.ref.kind}/${c.ref.containerName}`)) {
      if (c.state === 'running')
        out.kill.push({
          container: c,
          reason: 'Killing',
          message: 'Container is not in the pod spec',
          gracePeriodSeconds: grace,
        });
      else out.remove.push(c);
    }
  }
  // Keep the newest two instances of each container (current and previous), remove older dead ones.
  for (const spec of initSpecs)
    out.remove.push(...instancesOf(state.containers, 'init', spec.name).slice(2).filter(hasEnded));
  for (const spec of appSpecs)
    out.remove.push(...instancesOf(state.containers, 'app', spec.name).slice(2).filter(hasEnded));

  const latestOf = (kind: 'init' | 'app', spec: Container) =>
    instancesOf(state.containers, kind, spec.name)[0];

  // Is the pod finished? Then it must not be restarted, only wound down.
  const initFailedForGood =
    policy === 'Never' &&
    initSpecs.some((spec) => {
      const latest = latestOf('init', spec);
      return !!latest && hasEnded(latest) && (latest.exitCode !== 0 || !!latest.error);
    });
  const allAppEnded =
    appSpecs.length > 0 &&
    appSpecs.every((spec) => {
      const latest = latestOf('app', spec);
      return !!latest && hasEnded(latest) && !shouldRestart(pod, latest);
    });
  if (initFailedForGood || (policy !== 'Always' && allAppEnded)) {
    out.done = true;
    for (const c of state.containers) {
      if (c.state === 'running')
        out.kill.push({
          container: c,
          reason: 'Killing',
          message: 'Pod has finished',
          gracePeriodSeconds: grace,
        });
    }
    if (sandbox?.state === 'running') out.stopSandbox = sandbox;
    return out;
  }

  // No usable sandbox: start over with a new one; everything still running goes.
  if (!sandbox || sandbox.state !== 'running' || !sandbox.ip) {
    const reason = sandbox
      ? 'Pod sandbox changed, it will be killed and re-created.'
      : 'No sandbox for pod can be found. Need to start a new one';
    out.createSandbox = { attempt: sandbox ? sandbox.ref.attempt + 1 : 0, reason };
    for (const c of state.containers) {
      if (c.state === 'running')
        out.kill.push({ container: c, reason: 'Killing', message: reason, gracePeriodSeconds: grace });
    }
    if (sandbox && sandbox.state !== 'running') out.remove.push(sandbox);
    // The first init container (or all app containers) start right after the new sandbox.
    const first = initSpecs[0];
    if (first) {
      const latest = latestOf('init', first);
      out.start.push({ container: first, kind: 'init', attempt: latest ? latest.ref.attempt + 1 : 0 });
    } else {
      for (const spec of appSpecs) {
        const latest = latestOf('app', spec);
        out.start.push({ container: spec, kind: 'app', attempt: latest ? latest.ref.attempt + 1 : 0 });
      }
    }
    return out;
  }

  // Init containers, in order, each to completion. Only instances in the current sandbox count.
  const inSandbox = (c: RuntimeContainer | undefined) => (c && c.sandboxId === sandbox.id ? c : undefined);
  for (const spec of initSpecs) {
    const any = latestOf('init', spec);
    const latest = inSandbox(any);
    if (!latest) {
      out.start.push({ container: spec, kind: 'init', attempt: any ? any.ref.attempt + 1 : 0 });
      return out;
    }
    if (latest.state === 'running') return out;
    if (latest.state === 'created' && !latest.error) {
      out.remove.push(latest);
      out.start.push({ container: spec, kind: 'init', attempt: latest.ref.attempt + 1 });
      return out;
    }
    if (latest.exitCode === 0 && !latest.error) continue;
    // Failed: Never was handled above (pod done); OnFailure and Always retry with backoff.
    restartOrWait(pod, spec, 'init', latest, ctx.backoff, ctx.now, out);
    return out;
  }

  for (const spec of appSpecs) {
    const latest = latestOf('app', spec);
    if (!latest) {
      out.start.push({ container: spec, kind: 'app', attempt: 0 });
      continue;
    }
    if (latest.state === 'running') {
      if (latest.sandboxId && latest.sandboxId !== sandbox.id) {
        out.kill.push({
          container: latest,
          reason: 'Killing',
          message: 'Container is not in the pod sandbox',
          gracePeriodSeconds: grace,
        });
      } else if (latest.specHash && latest.specHash !== containerSpecHash(spec)) {
        out.kill.push({
          container: latest,
          reason: 'Killing',
          message: `Container ${spec.name} definition changed, will be restarted`,
          gracePeriodSeconds: grace,
        });
      } else if (spec.startupProbe && ctx.probes.get(latest.id, 'startup') === 'failure') {
        out.kill.push({
          container: latest,
          reason: 'Killing',
          message: `Container ${spec.name} failed startup probe, will be restarted`,
          gracePeriodSeconds: grace,
        });
      } else if (spec.livenessProbe && ctx.probes.get(latest.id, 'liveness') === 'failure') {
        out.kill.push({
          container: latest,
          reason: 'Killing',
          message: `Container ${spec.name} failed liveness probe, will be restarted`,
          gracePeriodSeconds: grace,
        });
      }
      continue;
    }
    if (latest.state === 'created' && !latest.error) {
      // Created but never started (the agent stopped in between): replace it.
      out.remove.push(latest);
      out.start.push({ container: spec, kind: 'app', attempt: latest.ref.attempt + 1 });
      continue;
    }
    if (hasEnded(latest) && shouldRestart(pod, latest))
      restartOrWait(pod, spec, 'app', latest, ctx.backoff, ctx.now, out);
  }
  return out;
}
