import { describe, expect, it } from 'vitest';
import type { MachineObject, Node } from '../../lib/kube-types';
import {
  fingerprintSource,
  foldSteps,
  formatDuration,
  machineRows,
  machineState,
  removalConsequences,
  splitReason,
} from './machine-progress';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function machine(
  status: MachineObject['status'],
  extra: Partial<MachineObject['metadata']> = {},
): MachineObject {
  return {
    apiVersion: 'flotilla.dev/v1',
    kind: 'Machine',
    metadata: { name: 'vm1', generation: 1, creationTimestamp: at(0), ...extra },
    spec: { type: 'ssh', ssh: { address: '10.0.0.5', port: 22, user: 'root' } },
    ...(status ? { status } : {}),
  };
}

describe('folding a Machine status into the progress list', () => {
  it('lists every step in order, fills in missing ones and times done and running ones', () => {
    const steps = foldSteps(
      [
        { name: 'preflight', state: 'running', startedAt: at(3) },
        { name: 'connect', state: 'done', startedAt: at(0), finishedAt: at(1.25), message: 'connected' },
        { name: 'verify-host-key', state: 'done', startedAt: at(1.25), finishedAt: at(1.3) },
      ],
      T0 + 5000,
    );
    expect(steps.map((s) => `${s.name}:${s.state}`)).toEqual([
      'connect:done',
      'verify-host-key:done',
      'preflight:running',
      'push-agent:pending',
      'start-agent:pending',
      'wait-ready:pending',
    ]);
    expect(steps[0]).toMatchObject({ title: 'Connect', message: 'connected', durationMs: 1250 });
    expect(steps[2]!.durationMs).toBe(2000);
    expect(steps[3]!.durationMs).toBeUndefined();
    expect(foldSteps(undefined, T0).every((s) => s.state === 'pending')).toBe(true);
    // What a pending step waited for is old news once the machine is past Pending.
    const waiting = [
      { name: 'verify-host-key' as const, state: 'pending' as const, message: 'first contact: accept' },
    ];
    expect(foldSteps(waiting, T0, 'Pending')[1]!.message).toBe('first contact: accept');
    expect(foldSteps(waiting, T0, 'Failed')[1]!.message).toBeUndefined();
  });

  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4230)).toBe('4.2 s');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(undefined)).toBe('');
  });
});

describe('the state a machine is in', () => {
  it('waits for the controller, then enrolls with the running step named', () => {
    expect(machineState(machine(undefined), T0)).toMatchObject({ stage: 'waiting', label: 'Waiting' });
    const s = machineState(
      machine({
        phase: 'Enrolling',
        observedGeneration: 1,
        steps: [{ name: 'push-agent', state: 'running' }],
      }),
      T0,
    );
    expect(s).toMatchObject({ stage: 'enrolling', label: 'Enrolling · copy the agent', tone: 'progress' });
  });

  it('asks for the host key on first contact, and stops asking once it is accepted', () => {
    const fp = 'SHA256:eymOt8XpQ2id8nACaWU2hQHRmmoDLPWEKDrVh2jB2kE';
    const pending = machine({ phase: 'Pending', observedGeneration: 1, observedHostKeyFingerprint: fp });
    expect(machineState(pending, T0)).toMatchObject({
      stage: 'awaiting-host-key',
      fingerprint: fp,
      tone: 'warn',
    });
    // Accepted: the spec changed (generation 2) and the old Pending status no longer applies.
    const accepted = { ...pending, metadata: { ...pending.metadata, generation: 2 } };
    accepted.spec = { ...accepted.spec, ssh: { ...accepted.spec.ssh!, hostKeyFingerprint: fp } };
    expect(machineState(accepted, T0)).toMatchObject({ stage: 'waiting', label: 'Retrying' });
  });

  it("asks for the jump host's key first when the machine is reached through one", () => {
    const fp = 'SHA256:jumpjumpjumpjumpjumpjumpjumpjumpjumpjumpjum';
    const m = machine({ phase: 'Pending', observedGeneration: 1, observedJumpHostKeyFingerprint: fp });
    m.spec = {
      type: 'ssh',
      ssh: { address: '10.0.0.5', user: 'root', jump: { address: 'bastion', port: 2222 } },
    };
    const s = machineState(m, T0);
    expect(s).toMatchObject({ stage: 'awaiting-host-key', fingerprint: fp, fingerprintOf: 'jump' });
    expect(fingerprintSource(m, s.fingerprintOf)).toBe('root@bastion:2222');
    expect(fingerprintSource(m, 'host')).toBe('root@10.0.0.5');
  });

  it('explains a failure with the failed step and its message; a retry makes it stale', () => {
    const failed = machine({
      phase: 'Failed',
      observedGeneration: 1,
      steps: [{ name: 'connect', state: 'failed', message: 'authentication failed for root@10.0.0.5' }],
      conditions: [
        { type: 'Ready', status: 'False', reason: 'AuthFailed', message: 'authentication failed' },
      ],
    });
    expect(machineState(failed, T0)).toMatchObject({
      stage: 'failed',
      tone: 'bad',
      label: 'Failed · connect',
      failedStep: 'connect',
      reason: 'authentication failed for root@10.0.0.5',
    });
    const retried = { ...failed, metadata: { ...failed.metadata, generation: 2 } };
    expect(machineState(retried, T0).stage).toBe('waiting');
    // Without a failed step the Ready condition says why.
    const noStep = machine({
      phase: 'Failed',
      observedGeneration: 1,
      conditions: failed.status!.conditions!,
    });
    expect(machineState(noStep, T0).reason).toBe('authentication failed');
  });

  it('is Ready with all steps counted, and Removing while being deleted', () => {
    const steps = (
      ['connect', 'verify-host-key', 'preflight', 'push-agent', 'start-agent', 'wait-ready'] as const
    ).map((name) => ({ name, state: 'done' as const }));
    expect(machineState(machine({ phase: 'Ready', observedGeneration: 1, steps }), T0)).toMatchObject({
      stage: 'ready',
      label: 'Ready',
      done: 6,
      total: 6,
    });
    const skipped = steps.map((s) =>
      s.name === 'verify-host-key' ? { ...s, state: 'skipped' as const } : s,
    );
    expect(machineState(machine({ phase: 'Ready', observedGeneration: 1, steps: skipped }), T0).total).toBe(
      5,
    );
    expect(machineState(machine({ phase: 'Ready' }, { deletionTimestamp: at(9) }), T0).stage).toBe(
      'removing',
    );
  });
});

describe('the machines table', () => {
  it("joins each machine with its node's state, sorted by name", () => {
    const node: Node = {
      metadata: { name: 'vm1' },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const local: MachineObject = {
      metadata: { name: 'laptop' },
      spec: { type: 'docker' },
      status: { phase: 'Enrolling', nodeName: 'laptop-node' },
    };
    const rows = machineRows([machine({ phase: 'Ready', observedGeneration: 1 }), local], [node], T0);
    expect(rows.map((r) => [r.name, r.address, r.nodeName, r.nodeStatus])).toEqual([
      ['laptop', "this computer's Docker", 'laptop-node', ''],
      ['vm1', 'root@10.0.0.5', 'vm1', 'Ready'],
    ]);
  });

  it('says what removal does before it is done', () => {
    const text = removalConsequences(machine(undefined)).join(' ');
    expect(text).toMatch(/drained/);
    expect(text).toMatch(/uninstalled/);
    expect(text).toMatch(/root@10\.0\.0\.5/);
    expect(text).toMatch(/Secret holding its SSH credentials/);
  });
});

describe('failure reasons', () => {
  it("fold an agent's log tail away behind the first line", () => {
    expect(splitReason('node vm1 did not become Ready; log:\nline 1\nline 2')).toEqual({
      summary: 'node vm1 did not become Ready; log:',
      details: 'line 1\nline 2',
    });
    expect(splitReason('authentication failed')).toEqual({ summary: 'authentication failed', details: '' });
    expect(splitReason(undefined).summary).toBe('');
  });
});
