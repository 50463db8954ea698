import { describe, expect, it } from 'vitest';
import { createFakeKubeApi } from '../../../../src-main/shared/kube/testing';
import { KubeApiError } from '../../../../src-main/shared/kube/types';
import type { MachineObject } from '../../lib/kube-types';
import { R } from '../../lib/resources';
import {
  acceptHostKey,
  addMachine,
  MachineActionError,
  retryDockerMachine,
  retrySshMachine,
} from './machine-actions';
import { emptyForm, type MachineForm, type SecretObject } from './machine-form';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----';
const form = (f: Partial<MachineForm> = {}): MachineForm => ({
  ...emptyForm('ssh'),
  address: '10.77.7.2',
  name: 'vm1',
  privateKey: KEY,
  ...f,
});

describe('machine actions against the API', () => {
  it('adds an SSH machine: the Secret, the Machine, then the Secret owned by the Machine', async () => {
    const api = createFakeKubeApi();
    const m = await addMachine(api, form());
    expect(api.calls.filter((c) => c.verb === 'create').map((c) => c.resource)).toEqual([
      'secrets',
      'machines',
    ]);
    const [secret] = api.objects<SecretObject>(R.secrets, 'default');
    expect(secret!.metadata.name).toBe('machine-vm1-ssh');
    expect(secret!.type).toBe('kubernetes.io/ssh-auth');
    expect(secret!.metadata.ownerReferences).toEqual([
      { apiVersion: 'flotilla.dev/v1', kind: 'Machine', name: 'vm1', uid: m.metadata.uid },
    ]);
    expect(m.spec.ssh?.privateKeySecretRef).toEqual({ name: 'machine-vm1-ssh', namespace: 'default' });
  });

  it('refuses a taken name on the name field, and leaves no Secret behind when the Machine is refused', async () => {
    const api = createFakeKubeApi();
    await addMachine(api, form());
    const taken = await addMachine(api, form()).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(MachineActionError);
    expect((taken as MachineActionError).fields.name).toMatch(/exists already/);

    const refusing = createFakeKubeApi();
    refusing.reactors.push((call) => {
      if (call.verb === 'create' && call.resource === 'machines')
        throw new KubeApiError(422, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          code: 422,
          reason: 'Invalid',
          message: 'Machine.flotilla.dev "vm2" is invalid',
          details: { causes: [{ field: 'spec.ssh.address', message: 'must be a host name' }] },
        });
    });
    const err = (await addMachine(refusing, form({ name: 'vm2' })).catch(
      (e: unknown) => e,
    )) as MachineActionError;
    expect(err.code).toBe('Invalid');
    expect(err.fields.address).toBe('must be a host name');
    expect(refusing.objects(R.secrets, 'default')).toEqual([]);
  });

  it('accepts a host key by setting spec.ssh.hostKeyFingerprint', async () => {
    const api = createFakeKubeApi();
    await addMachine(api, form());
    await acceptHostKey(api, 'vm1', 'SHA256:abc');
    const m = await api.get<MachineObject>(R.machines, 'vm1');
    expect(m.spec.ssh?.hostKeyFingerprint).toBe('SHA256:abc');
    expect(m.spec.ssh?.address).toBe('10.77.7.2');
    await retrySshMachine(api, m, form({ useJump: true, jumpAddress: 'bastion' }));
    await acceptHostKey(api, 'vm1', 'SHA256:jump', 'jump');
    const viaJump = await api.get<MachineObject>(R.machines, 'vm1');
    expect(viaJump.spec.ssh?.jump).toEqual({
      address: 'bastion',
      port: 22,
      hostKeyFingerprint: 'SHA256:jump',
    });
    // Another jump host: its key is not the accepted one any more.
    await retrySshMachine(api, viaJump, form({ useJump: true, jumpAddress: 'bastion2', privateKey: '' }));
    expect((await api.get<MachineObject>(R.machines, 'vm1')).spec.ssh?.jump).toEqual({
      address: 'bastion2',
      port: 22,
    });
  });

  it('retries with new credentials in a new Secret (a new generation), dropping the old one', async () => {
    const api = createFakeKubeApi();
    await addMachine(api, form());
    await acceptHostKey(api, 'vm1', 'SHA256:abc');
    const before = await api.get<MachineObject>(R.machines, 'vm1');
    await retrySshMachine(api, before, form({ auth: 'password', password: 'pw', privateKey: '' }));
    const after = await api.get<MachineObject>(R.machines, 'vm1');
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation!);
    expect(after.spec.ssh?.privateKeySecretRef).toBeUndefined();
    expect(after.spec.ssh?.passwordSecretRef?.name).toMatch(/^machine-vm1-ssh-\d+$/);
    // Same host: the accepted key stays accepted.
    expect(after.spec.ssh?.hostKeyFingerprint).toBe('SHA256:abc');
    const secrets = api.objects<SecretObject>(R.secrets, 'default');
    expect(secrets.map((s) => s.metadata.name)).toEqual([after.spec.ssh!.passwordSecretRef!.name]);
    expect(secrets[0]!.type).toBe('Opaque');

    // Nothing new typed: the current credentials are copied, the spec still changes; a new address
    // forgets the accepted key.
    await retrySshMachine(api, after, form({ privateKey: '', address: '10.77.7.3' }));
    const third = await api.get<MachineObject>(R.machines, 'vm1');
    expect(third.metadata.generation).toBeGreaterThan(after.metadata.generation!);
    expect(third.spec.ssh?.passwordSecretRef?.name).not.toBe(after.spec.ssh?.passwordSecretRef?.name);
    expect(third.spec.ssh?.hostKeyFingerprint).toBeUndefined();
    const copied = api.objects<SecretObject>(R.secrets, 'default');
    expect(copied).toHaveLength(1);
    expect(copied[0]!.data).toEqual(secrets[0]!.data);
  });

  it('retries a Docker machine by removing it and creating it again once it is gone', async () => {
    const api = createFakeKubeApi();
    const first = await addMachine(api, { ...emptyForm('docker'), name: 'local' });
    const again = await retryDockerMachine(
      api,
      first,
      { ...emptyForm('docker'), name: 'local' },
      { sleep: async () => {} },
    );
    expect(again.metadata.uid).not.toBe(first.metadata.uid);
    expect(api.calls.filter((c) => c.resource === 'machines').map((c) => c.verb)).toContain('delete');
  });
});
