import { describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/machine';
import { ENROLLMENT_FINALIZER, needsReconcile } from './controller';

function machine(
  meta: Record<string, unknown>,
  status?: Machine['status'],
  type: 'ssh' | 'docker' = 'ssh',
): Machine {
  return {
    apiVersion: 'flotilla.dev/v1',
    kind: 'Machine',
    metadata: { name: 'm', generation: 2, ...meta },
    spec: { type, ssh: { address: '10.0.0.1' } },
    ...(status ? { status } : {}),
  };
}

const ours = { finalizers: [ENROLLMENT_FINALIZER] };

describe('needsReconcile', () => {
  it('reconciles docker machines like ssh ones', () => {
    expect(needsReconcile(machine({}, undefined, 'docker'))).toBe(true);
    expect(needsReconcile(machine(ours, { phase: 'Ready', observedGeneration: 2 }, 'docker'))).toBe(false);
  });
  it('leaves machines of a type it does not know alone', () => {
    expect(needsReconcile(machine({}, undefined, 'cloud' as 'ssh'))).toBe(false);
  });
  it('adopts a new machine (no finalizer yet)', () => {
    expect(needsReconcile(machine({}))).toBe(true);
  });
  it('resumes an enrollment that was cut short (a restart mid-way)', () => {
    expect(needsReconcile(machine(ours, { phase: 'Enrolling', observedGeneration: 2 }))).toBe(true);
  });
  it('waits on a settled outcome until the spec changes', () => {
    for (const phase of ['Ready', 'Failed', 'Pending'] as const) {
      expect(needsReconcile(machine(ours, { phase, observedGeneration: 2 }))).toBe(false);
      expect(needsReconcile(machine(ours, { phase, observedGeneration: 1 }))).toBe(true);
    }
  });
  it('removes a deleted machine only while it holds the finalizer', () => {
    expect(
      needsReconcile(machine({ ...ours, deletionTimestamp: 'x' }, { phase: 'Ready', observedGeneration: 2 })),
    ).toBe(true);
    expect(needsReconcile(machine({ deletionTimestamp: 'x', finalizers: [] }))).toBe(false);
  });
});
