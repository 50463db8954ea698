import { describe, expect, it } from 'vitest';
import { machineStrategy as s } from './machine';
import { ago, messages, NOW } from './testing';
import type { KubeObject } from './types';

const FP1 = 'SHA256:otMIhTbfn+7/9V7j4PwdiFp/2XF32CjCkG4Y+p9nI8I';

function machine(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'flotilla.dev/v1',
    kind: 'Machine',
    metadata: { name: 'vm1', creationTimestamp: ago(90_000) },
    spec,
    ...(status ? { status } : {}),
  };
}

function validate(obj: KubeObject): string[] {
  s.defaults?.(obj);
  return messages(s.validateCreate!(obj));
}

describe('Machine strategy', () => {
  it('is cluster-scoped flotilla.dev/v1 machines with short name mach and a status subresource', () => {
    expect(s.resource).toMatchObject({
      group: 'flotilla.dev',
      version: 'v1',
      kind: 'Machine',
      plural: 'machines',
      namespaced: false,
      shortNames: ['mach'],
      subresources: ['status'],
    });
  });

  it('defaults the SSH port to 22 and the user to root (and the jump host to the same user)', () => {
    const obj = machine({ type: 'ssh', ssh: { address: '10.0.0.5', jump: { address: 'bastion' } } });
    s.defaults!(obj);
    expect(obj.spec).toEqual({
      type: 'ssh',
      ssh: {
        address: '10.0.0.5',
        port: 22,
        user: 'root',
        jump: { address: 'bastion', port: 22, user: 'root' },
      },
    });
    const custom = machine({ type: 'ssh', ssh: { address: 'h', port: 2222, user: 'ops' } });
    s.defaults!(custom);
    expect(custom.spec!.ssh).toEqual({ address: 'h', port: 2222, user: 'ops' });
  });

  it('accepts a complete ssh machine and a docker machine', () => {
    expect(
      validate(
        machine({
          type: 'ssh',
          ssh: {
            address: 'vm1.example.com',
            user: 'deploy',
            sudo: true,
            privateKeySecretRef: { name: 'vm1-key', namespace: 'flotilla-system' },
            hostKeyFingerprint: FP1,
            jump: { address: '192.0.2.10', port: 2200, hostKeyFingerprint: FP1 },
          },
          nodeName: 'vm1',
          labels: { 'topology.kubernetes.io/zone': 'lab' },
          taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        }),
      ),
    ).toEqual([]);
    expect(validate(machine({ type: 'docker' }))).toEqual([]);
    expect(validate(machine({ type: 'docker', docker: { host: 'unix:///var/run/docker.sock' } }))).toEqual(
      [],
    );
  });

  it('requires a type from the enum and an address for ssh', () => {
    expect(validate(machine({}))).toEqual(['spec.type: Required value: one of "docker", "ssh"']);
    expect(validate(machine({ type: 'vm' }))).toEqual([
      'spec.type: Unsupported value: "vm": supported values: "docker", "ssh"',
    ]);
    expect(validate(machine({ type: 'ssh' }))).toEqual([
      'spec.ssh: Required value: a machine of type "ssh" needs spec.ssh with at least an address',
    ]);
    expect(validate(machine({ type: 'ssh', ssh: { user: 'root' } }))).toEqual([
      'spec.ssh.address: Required value: the host name or IP address to reach the machine at',
    ]);
    expect(validate(machine({ type: 'docker', ssh: { address: 'x' } }))).toEqual([
      'spec.ssh: Forbidden: may only be set when type is "ssh"',
    ]);
  });

  it('checks the port range, the address, the user and the fingerprint with field paths', () => {
    expect(validate(machine({ type: 'ssh', ssh: { address: 'h', port: 70000 } }))).toEqual([
      'spec.ssh.port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]);
    expect(validate(machine({ type: 'ssh', ssh: { address: 'h', port: 0 } }))).toHaveLength(1);
    expect(validate(machine({ type: 'ssh', ssh: { address: 'host:22' } }))[0]).toMatch(
      /^spec\.ssh\.address: Invalid value: "host:22"/,
    );
    expect(validate(machine({ type: 'ssh', ssh: { address: '300.1.1.1' } }))).toEqual([
      'spec.ssh.address: Invalid value: "300.1.1.1": must be a valid IPv4 address',
    ]);
    expect(validate(machine({ type: 'ssh', ssh: { address: 'h', user: 'bad user' } }))[0]).toMatch(
      /^spec\.ssh\.user: Invalid value/,
    );
    expect(
      validate(machine({ type: 'ssh', ssh: { address: 'h', hostKeyFingerprint: 'MD5:aa:bb' } }))[0],
    ).toMatch(
      /^spec\.ssh\.hostKeyFingerprint: Invalid value: "MD5:aa:bb": must be a SHA256 host key fingerprint/,
    );
    expect(
      validate(machine({ type: 'ssh', ssh: { address: 'h', jump: { address: '', port: -1 } } })),
    ).toEqual([
      'spec.ssh.jump.address: Required value: the host name or IP address to reach the machine at',
      'spec.ssh.jump.port: Invalid value: -1: must be between 1 and 65535, inclusive',
    ]);
  });

  it('checks secret references', () => {
    expect(
      validate(
        machine({
          type: 'ssh',
          ssh: {
            address: 'h',
            privateKeySecretRef: { name: 'k' },
            passwordSecretRef: { namespace: 'Bad_NS', name: 'p' },
          },
        }),
      ),
    ).toEqual([
      'spec.ssh.privateKeySecretRef.namespace: Required value',
      expect.stringMatching(/^spec\.ssh\.passwordSecretRef\.namespace: Invalid value: "Bad_NS"/),
    ]);
  });

  it('checks taints, labels and the node name', () => {
    const out = validate(
      machine({
        type: 'docker',
        nodeName: 'Not_A_Name',
        labels: { 'bad key!': 'x' },
        taints: [
          { key: 'a', effect: 'Sometimes' },
          { key: 'a', effect: 'NoSchedule' },
          { key: 'a', effect: 'NoSchedule' },
        ],
      }),
    );
    expect(out.map((m) => m.split(':')[0])).toEqual([
      'spec.nodeName',
      'spec.labels',
      'spec.taints[0].effect',
      'spec.taints[2]',
    ]);
  });

  it('checks status enums (phase, steps, reachability) written through the status subresource', () => {
    const old = machine({ type: 'docker' });
    const obj = machine(
      { type: 'docker' },
      {
        phase: 'Dancing',
        reachability: 'carrier-pigeon',
        observedJumpHostKeyFingerprint: 'MD5:aa:bb',
        steps: [
          { name: 'connect', state: 'done' },
          { name: 'teleport', state: 'running' },
          { name: 'connect', state: 'maybe' },
        ],
      },
    );
    expect(messages(s.validateUpdate!(obj, old)).map((m) => m.split(': ')[0])).toEqual([
      'status.phase',
      'status.reachability',
      'status.observedJumpHostKeyFingerprint',
      'status.steps[1].name',
      'status.steps[2].state',
      'status.steps[2].name',
    ]);
    const good = machine(
      { type: 'ssh', ssh: { address: 'h', port: 22, user: 'root' } },
      {
        phase: 'Enrolling',
        reachability: 'tunnel',
        observedHostKeyFingerprint: FP1,
        observedJumpHostKeyFingerprint: FP1,
        steps: [
          { name: 'connect', state: 'done', startedAt: ago(3000), finishedAt: ago(2000) },
          { name: 'verify-host-key', state: 'running' },
        ],
      },
    );
    expect(messages(s.validateUpdate!(good, old))).toEqual([]);
  });

  it('keeps the status on create and main-resource updates', () => {
    const obj = machine({ type: 'docker' }, { phase: 'Ready' });
    s.prepareForCreate!(obj);
    expect(obj.status).toBeUndefined();
    const old = machine({ type: 'docker' }, { phase: 'Ready' });
    const next = machine({ type: 'docker', labels: { a: 'b' } }, { phase: 'Failed' });
    s.prepareForUpdate!(next, old);
    expect(next.status).toEqual({ phase: 'Ready' });
  });

  it('prints Name, Type, Address, Phase, Node, Age, and wide Reachability, Fingerprint, Step', () => {
    expect(s.columns.map((c) => `${c.name}${c.priority ? '*' : ''}`)).toEqual([
      'Name',
      'Type',
      'Address',
      'Phase',
      'Node',
      'Age',
      'Reachability*',
      'Fingerprint*',
      'Step*',
    ]);
    const obj = machine(
      { type: 'ssh', ssh: { address: '10.77.0.2', port: 22, user: 'root' } },
      {
        phase: 'Enrolling',
        nodeName: 'vm1',
        reachability: 'direct',
        observedHostKeyFingerprint: FP1,
        steps: [
          { name: 'connect', state: 'done' },
          { name: 'preflight', state: 'running' },
        ],
      },
    );
    expect(s.row(obj, NOW)).toEqual([
      'vm1',
      'ssh',
      'root@10.77.0.2',
      'Enrolling',
      'vm1',
      '90s',
      'direct',
      FP1,
      'preflight (running)',
    ]);
    const fresh = machine({ type: 'ssh', ssh: { address: 'fd00::5', port: 2222, user: 'ops' } });
    expect(s.row(fresh, NOW)).toEqual([
      'vm1',
      'ssh',
      'ops@[fd00::5]:2222',
      'Pending',
      '<none>',
      '90s',
      '<unknown>',
      '<none>',
      '<none>',
    ]);
    expect(s.row(machine({ type: 'docker' }), NOW).slice(1, 3)).toEqual(['docker', 'local']);
  });
});
