import { describe, expect, it } from 'vitest';
import { addSshNode, parseDestination, SshNodeError } from './cli';

describe('flotilla node add ssh arguments', () => {
  it('parses USER@HOST[:PORT] for the machine and the jump host alike', () => {
    expect(parseDestination('admin@bastion.example.com:2222')).toEqual({
      user: 'admin',
      host: 'bastion.example.com',
      port: 2222,
    });
    expect(parseDestination('10.0.0.5')).toEqual({ user: 'root', host: '10.0.0.5', port: 22 });
    expect(parseDestination('root@[fd00::5]:22')).toEqual({ user: 'root', host: 'fd00::5', port: 22 });
  });

  it('refuses a jump host key without a jump host, and a malformed jump host, before touching the cluster', async () => {
    const base = {
      dataDir: '/nonexistent',
      destination: 'root@10.0.0.5',
      privateKey: 'k',
      progress: () => undefined,
    };
    const noJump = await addSshNode({ ...base, acceptJumpHostKey: 'SHA256:x' }).catch((e: unknown) => e);
    expect(noJump).toBeInstanceOf(SshNodeError);
    expect((noJump as SshNodeError).message).toContain('--jump');
    const bad = await addSshNode({ ...base, jump: 'root@host:99999' }).catch((e: unknown) => e);
    expect((bad as SshNodeError).code).toBe('InvalidArgument');
  });
});
