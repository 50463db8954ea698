import { describe, expect, it } from 'vitest';
import { HostKeyMismatch, HostKeyUnknown, onJumpHop } from './errors';

describe('onJumpHop', () => {
  it("names the jump host first and keeps the error's class and fields", () => {
    const err = onJumpHop(
      new HostKeyUnknown('root@bastion:22', 'SHA256:abc', 'ssh-ed25519'),
      'root@bastion:22',
    );
    expect(err).toBeInstanceOf(HostKeyUnknown);
    expect(err.hop).toBe('jump');
    expect(err.fingerprint).toBe('SHA256:abc');
    expect(err.message).toMatch(
      /^jump host root@bastion:22: the host key of root@bastion:22 is not yet accepted/,
    );
    expect(err.toJSON()).toMatchObject({ code: 'HostKeyUnknown', hop: 'jump' });
  });
  it('marks an error once, and leaves non-SSH errors alone', () => {
    const err = new HostKeyMismatch('root@b:22', 'SHA256:x', 'SHA256:y', 'ssh-ed25519');
    onJumpHop(onJumpHop(err, 'root@b:22'), 'root@b:22');
    expect(err.message.match(/jump host/g)).toHaveLength(1);
    const plain = new Error('boom');
    expect(onJumpHop(plain, 'root@b:22').message).toBe('boom');
  });
});
