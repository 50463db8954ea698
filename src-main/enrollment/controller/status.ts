// Pure helpers for a Machine's status: the step list (one entry per enrollment step, in order),
// conditions and the phase. The controller builds the next status from the current one with these, so
// a re-run after a failure or restart starts from what the status already says.
import {
  initialSteps,
  type MachineCondition,
  type MachinePhase,
  type MachineStatus,
  type MachineStep,
  type MachineStepName,
  type StepState,
} from '../../shared/machine';

/** The status's steps in canonical order, filling in the missing ones as pending. */
export function normalizeSteps(steps: MachineStep[] | undefined): MachineStep[] {
  const byName = new Map((steps ?? []).map((s) => [s.name, s]));
  return initialSteps().map((s) => ({ ...s, ...byName.get(s.name) }));
}

/** A copy of `status` with one step moved to `state` (timestamps: startedAt on running, finishedAt after). */
export function withStep(
  status: MachineStatus,
  name: MachineStepName,
  state: StepState,
  message: string | undefined,
  now: Date,
): MachineStatus {
  const ts = now.toISOString();
  const steps = normalizeSteps(status.steps).map((s) => {
    if (s.name !== name) return s;
    const next: MachineStep = { name, state };
    if (message) next.message = message;
    if (state === 'running') next.startedAt = ts;
    else {
      next.startedAt = s.startedAt ?? ts;
      if (state === 'done' || state === 'failed' || state === 'skipped') next.finishedAt = ts;
    }
    return next;
  });
  return { ...status, steps };
}

export function stepOf(status: MachineStatus | undefined, name: MachineStepName): MachineStep | undefined {
  return normalizeSteps(status?.steps).find((s) => s.name === name);
}

/** Sets a condition, keeping lastTransitionTime when its status does not change. */
export function withCondition(
  status: MachineStatus,
  condition: Omit<MachineCondition, 'lastTransitionTime'>,
  now: Date,
): MachineStatus {
  const old = (status.conditions ?? []).find((c) => c.type === condition.type);
  const next: MachineCondition = {
    ...condition,
    lastTransitionTime:
      old && old.status === condition.status && old.lastTransitionTime
        ? old.lastTransitionTime
        : now.toISOString(),
  };
  const others = (status.conditions ?? []).filter((c) => c.type !== condition.type);
  return { ...status, conditions: [...others, next] };
}

export function withPhase(status: MachineStatus, phase: MachinePhase): MachineStatus {
  return { ...status, phase };
}

/** The failed step's message, or the Ready condition's (what the CLI prints when enrollment fails). */
export function failureReason(status: MachineStatus | undefined): string | undefined {
  const failed = normalizeSteps(status?.steps).find((s) => s.state === 'failed');
  if (failed) return `${failed.name}: ${failed.message ?? 'failed'}`;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.message;
}
