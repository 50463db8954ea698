import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../../src-main/shared/kube/types';
import type { Status } from '../../../../src-main/shared/status';
import { runApply } from './apply-flow';
import type { Applier } from './apply-flow';
import type { ManifestObject } from './manifest';

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: first
data:
  a: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: second
spec:
  replicas: -1
`;

function invalid(field: string, message: string): KubeApiError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason: 'Invalid',
    code: 422,
    message: `Deployment.apps "second" is invalid: ${field}: ${message}`,
    details: { causes: [{ reason: 'FieldValueInvalid', field, message }] },
  };
  return new KubeApiError(422, status);
}

/** Records what it was asked to do; rejects the objects named in `reject` during the dry run. */
function recordingApplier(reject: Record<string, KubeApiError> = {}) {
  const calls: { name: string; dryRun: boolean }[] = [];
  const applier: Applier = {
    async apply(obj: ManifestObject, dryRun: boolean) {
      calls.push({ name: obj.name, dryRun });
      const err = reject[obj.name];
      if (err) throw err;
      return 'created';
    },
  };
  return { applier, calls };
}

describe('runApply', () => {
  it('dry-runs every object, then applies every object, in order', async () => {
    const { applier, calls } = recordingApplier();
    const outcome = await runApply(MANIFEST, applier);
    expect(outcome.stage).toBe('applied');
    expect(calls).toEqual([
      { name: 'first', dryRun: true },
      { name: 'second', dryRun: true },
      { name: 'first', dryRun: false },
      { name: 'second', dryRun: false },
    ]);
    expect(outcome.results.map((r) => [r.label, r.line, r.action])).toEqual([
      ['ConfigMap first', 1, 'created'],
      ['Deployment second', 8, 'created'],
    ]);
  });

  it('applies nothing when the server rejects any dry run, and puts the error on the field line', async () => {
    const { applier, calls } = recordingApplier({
      second: invalid('spec.replicas', 'must be greater than or equal to 0'),
    });
    const outcome = await runApply(MANIFEST, applier);
    expect(outcome.stage).toBe('rejected');
    expect(calls.every((c) => c.dryRun)).toBe(true);
    expect(outcome.problems).toEqual([
      { line: 13, column: 1, message: 'spec.replicas: must be greater than or equal to 0', objectIndex: 1 },
    ]);
  });

  it('sends nothing at all when the manifest itself is invalid', async () => {
    const { applier, calls } = recordingApplier();
    const outcome = await runApply(`${MANIFEST}---\nkind: Pod\n`, applier);
    expect(outcome.stage).toBe('invalid');
    expect(calls).toEqual([]);
    expect(outcome.problems[0]!.line).toBe(15);
  });

  it('with dryRunOnly, checks and stops', async () => {
    const { applier, calls } = recordingApplier();
    const outcome = await runApply(MANIFEST, applier, { dryRunOnly: true });
    expect(outcome.stage).toBe('checked');
    expect(calls.filter((c) => !c.dryRun)).toEqual([]);
  });

  it('says that an empty editor has nothing to apply', async () => {
    const { applier } = recordingApplier();
    const outcome = await runApply('  \n', applier);
    expect(outcome.stage).toBe('invalid');
    expect(outcome.problems[0]!.message).toMatch(/Nothing to apply/);
  });
});
