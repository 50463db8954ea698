import { describe, expect, it } from 'vitest';
import { MACHINE_STEPS } from '../../shared/machine';
import { failureReason, normalizeSteps, withCondition, withStep } from './status';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:00:05Z');

describe('machine status helpers', () => {
  it('fills missing steps in order and keeps what is there', () => {
    const steps = normalizeSteps([{ name: 'preflight', state: 'done', message: 'ok' }]);
    expect(steps.map((s) => s.name)).toEqual([...MACHINE_STEPS]);
    expect(steps[2]).toEqual({ name: 'preflight', state: 'done', message: 'ok' });
    expect(steps[0]).toEqual({ name: 'connect', state: 'pending' });
  });

  it('times a step: startedAt when it runs, finishedAt when it ends', () => {
    const running = withStep({}, 'connect', 'running', undefined, t0);
    expect(running.steps![0]).toEqual({ name: 'connect', state: 'running', startedAt: t0.toISOString() });
    const done = withStep(running, 'connect', 'done', 'connected', t1);
    expect(done.steps![0]).toEqual({
      name: 'connect',
      state: 'done',
      message: 'connected',
      startedAt: t0.toISOString(),
      finishedAt: t1.toISOString(),
    });
    expect(running.steps![0]!.state).toBe('running'); // the input is not changed
  });

  it('keeps a condition’s transition time while its status holds', () => {
    const a = withCondition({}, { type: 'Ready', status: 'False', reason: 'X' }, t0);
    const b = withCondition(a, { type: 'Ready', status: 'False', reason: 'Y' }, t1);
    expect(b.conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'Y', lastTransitionTime: t0.toISOString() },
    ]);
    const c = withCondition(b, { type: 'Ready', status: 'True' }, t1);
    expect(c.conditions![0]!.lastTransitionTime).toBe(t1.toISOString());
  });

  it('names the failed step as the failure reason', () => {
    const s = withStep({}, 'preflight', 'failed', 'docker: not installed', t0);
    expect(failureReason(s)).toBe('preflight: docker: not installed');
    expect(failureReason({})).toBeUndefined();
  });
});
