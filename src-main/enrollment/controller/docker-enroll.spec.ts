import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../shared/kube/types';
import type { Machine, MachineStatus } from '../../shared/machine';
import { AGENT_PORT_ANNOTATION, enrollDockerMachine, machineAgentPort } from './docker-enroll';
import { StepStopped } from './enroll';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flotilla-docker-enroll-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function machine(extra: Partial<Machine['metadata']> = {}, host?: string): Machine {
  return {
    apiVersion: 'flotilla.dev/v1',
    kind: 'Machine',
    metadata: { name: 'm1', generation: 3, ...extra },
    spec: { type: 'docker', ...(host ? { docker: { host } } : {}) },
    status: { phase: 'Ready', observedGeneration: 2 },
  };
}

describe('machineAgentPort', () => {
  it('reads the annotation, ignoring what is not a port', () => {
    expect(machineAgentPort(machine())).toBeUndefined();
    expect(machineAgentPort(machine({ annotations: { [AGENT_PORT_ANNOTATION]: '10260' } }))).toBe(10260);
    expect(machineAgentPort(machine({ annotations: { [AGENT_PORT_ANNOTATION]: '99999' } }))).toBeUndefined();
  });
});

describe('enrollDockerMachine with an engine that does not answer', () => {
  it('fails the connect step with the reason, settles the generation only with the outcome, creates nothing', async () => {
    const writes: MachineStatus[] = [];
    const events: { type: string; reason: string; message: string }[] = [];
    const api = {
      patch: async (_r: unknown, _n: string, _ns: unknown, body: { status: MachineStatus }) => {
        writes.push(structuredClone(body.status));
        return {};
      },
    } as unknown as KubeApi;
    const run = enrollDockerMachine(
      {
        api,
        events: { event: (_o, type, reason, message) => void events.push({ type, reason, message }) },
        dataDir,
        apiServer: 'https://127.0.0.1:1',
        agentBundle: () => Promise.reject(new Error('not reached')),
        readyTimeoutMs: 1000,
        now: () => new Date('2026-01-01T00:00:00Z'),
      },
      machine({}, 'unix:///nonexistent/docker.sock'),
    );
    await expect(run).rejects.toBeInstanceOf(StepStopped);
    // While it runs, the previous run's observedGeneration stays (readers must not take phase Ready for this spec's).
    expect(writes[0]!.steps!.find((s) => s.name === 'connect')!.state).toBe('running');
    expect(writes[0]!.observedGeneration).toBe(2);
    const last = writes.at(-1)!;
    expect(last.phase).toBe('Failed');
    expect(last.observedGeneration).toBe(3);
    const connect = last.steps!.find((s) => s.name === 'connect')!;
    expect(connect).toMatchObject({ state: 'failed', startedAt: '2026-01-01T00:00:00.000Z' });
    expect(connect.message).toContain('the Docker engine at unix:///nonexistent/docker.sock does not answer');
    expect(last.steps!.filter((s) => s.name !== 'connect').every((s) => s.state === 'pending')).toBe(true);
    expect(last.conditions!.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'EngineUnreachable',
    });
    expect(events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'ConnectFailed' })]);
  });
});
