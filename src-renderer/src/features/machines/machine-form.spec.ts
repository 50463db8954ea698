import { describe, expect, it } from 'vitest';
import {
  buildMachine,
  buildSecret,
  emptyForm,
  formFromMachine,
  parseLabels,
  privateKeyProblem,
  suggestName,
  validateForm,
  type MachineForm,
} from './machine-form';

const KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

function ssh(fields: Partial<MachineForm> = {}): MachineForm {
  return { ...emptyForm('ssh'), address: '10.77.7.2', name: 'vm1', privateKey: KEY, ...fields };
}

describe('the wizard checks its fields before anything is created', () => {
  it('accepts a complete SSH form and a local Docker one', () => {
    expect(validateForm(ssh())).toEqual({});
    expect(
      validateForm(ssh({ address: 'vm1.example.org', auth: 'password', password: 'x', privateKey: '' })),
    ).toEqual({});
    expect(validateForm(ssh({ address: 'fe80::1' }))).toEqual({});
    expect(validateForm(emptyForm('docker'))).toEqual({});
  });

  it('says which field is wrong and what to do, for every field', () => {
    const errors = validateForm({
      ...emptyForm('ssh'),
      name: 'Bad_Name',
      address: '',
      port: '70000',
      user: '9 lives',
      privateKey: '',
      labels: 'zone',
    });
    expect(Object.keys(errors).sort()).toEqual(['address', 'labels', 'name', 'port', 'privateKey', 'user']);
    expect(errors.address).toMatch(/host name or IP address/);
    expect(errors.port).toMatch(/between 1 and 65535/);
    expect(errors.privateKey).toMatch(/Paste the private key/);
    expect(errors.labels).toMatch(/not key=value/);
  });

  it('catches the usual address mistakes: user@host, host:port, a bad IPv4', () => {
    expect(validateForm(ssh({ address: 'root@10.0.0.1' })).address).toMatch(/User field/);
    expect(validateForm(ssh({ address: 'vm1:2222' })).address).toMatch(/Port field/);
    expect(validateForm(ssh({ address: '10.0.0.300' })).address).toMatch(/not a valid IPv4/);
    expect(validateForm(ssh({ port: 'ssh' })).port).toMatch(/number/);
  });

  it('tells a public, PuTTY, truncated or passphrase-protected key from a usable private key', () => {
    expect(privateKeyProblem('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK me@laptop')).toMatch(/public key/);
    expect(privateKeyProblem('PuTTY-User-Key-File-3: ssh-ed25519')).toMatch(/OpenSSH format/);
    expect(privateKeyProblem(KEY.split('\n').slice(0, 2).join('\n'))).toMatch(/cut off/);
    expect(
      privateKeyProblem(
        '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nabc\n-----END RSA PRIVATE KEY-----',
      ),
    ).toMatch(/passphrase/);
    expect(privateKeyProblem(KEY)).toBeUndefined();
  });

  it('refuses a name that is taken, unless fixing that machine with its credentials kept', () => {
    expect(validateForm(ssh(), new Set(['vm1'])).name).toMatch(/exists already/);
    expect(validateForm(ssh({ privateKey: '' }), new Set(), { credentialsOptional: true })).toEqual({});
    expect(
      validateForm(ssh({ privateKey: 'ssh-rsa AAAAB3' }), new Set(), { credentialsOptional: true })
        .privateKey,
    ).toMatch(/public key/);
  });

  it('needs a jump host address when a jump host is asked for', () => {
    const errors = validateForm(ssh({ useJump: true, jumpAddress: '', jumpPort: '0' }));
    expect(errors.jumpAddress).toMatch(/jump host/);
    expect(errors.jumpPort).toMatch(/between 1 and 65535/);
  });

  it('parses labels and suggests a node name from the address', () => {
    expect(parseLabels('zone=home, disk=ssd\nexample.org/tier=db')).toEqual({
      labels: { zone: 'home', disk: 'ssd', 'example.org/tier': 'db' },
    });
    expect(parseLabels('a=1,a=2').error).toMatch(/twice/);
    expect(parseLabels('-bad=1').error).toMatch(/label key/);
    expect(suggestName('VM1.Example.org')).toBe('vm1.example.org');
    expect(suggestName('fe80::1')).toBe('fe80--1');
  });
});

describe('what the wizard creates', () => {
  it('a kubernetes.io/ssh-auth Secret for a key, Opaque for a password, and the Machine pointing at it', () => {
    const secret = buildSecret(ssh(), 'machine-vm1-ssh');
    expect(secret.type).toBe('kubernetes.io/ssh-auth');
    expect(atob(secret.data['ssh-privatekey']!)).toBe(`${KEY}\n`);
    const pw = buildSecret(ssh({ auth: 'password', password: 'pässword' }), 's');
    expect(pw.type).toBe('Opaque');
    expect(new TextDecoder().decode(Uint8Array.from(atob(pw.data.password!), (c) => c.charCodeAt(0)))).toBe(
      'pässword',
    );
    const m = buildMachine(
      ssh({ labels: 'zone=lab', useJump: true, jumpAddress: 'bastion', sudo: true }),
      'machine-vm1-ssh',
    );
    expect(m).toEqual({
      apiVersion: 'flotilla.dev/v1',
      kind: 'Machine',
      metadata: { name: 'vm1' },
      spec: {
        type: 'ssh',
        labels: { zone: 'lab' },
        ssh: {
          address: '10.77.7.2',
          port: 22,
          user: 'root',
          privateKeySecretRef: { name: 'machine-vm1-ssh', namespace: 'default' },
          sudo: true,
          jump: { address: 'bastion', port: 22 },
        },
      },
    });
    expect(buildMachine(emptyForm('docker')).spec).toEqual({ type: 'docker' });
  });

  it('round-trips a Machine into the form for fixing it (credentials left empty)', () => {
    const m = buildMachine(ssh({ labels: 'zone=lab', port: '2222', user: 'admin' }));
    const form = formFromMachine(m);
    expect(form).toMatchObject({
      name: 'vm1',
      address: '10.77.7.2',
      port: '2222',
      user: 'admin',
      labels: 'zone=lab',
    });
    expect(form.privateKey).toBe('');
    expect(buildMachine({ ...form, privateKey: KEY }).spec).toEqual(m.spec);
  });
});
