import { describe, expect, it } from 'vitest';
import { bootstrapTokenSecret } from '../../../shared/bootstrap';
import type { BootstrapTokenSecret } from './bootstrap-tokens';
import {
  createBootstrapTokenAuthenticator,
  firstTokenAuthenticator,
  isTokenExpired,
} from './bootstrap-tokens';

const NOW = new Date('2026-11-26T01:00:00Z');

/** The Secret as the API server stores it: stringData folded into base64 data. */
function stored(
  overrides: { expiration?: Date; type?: string; data?: Record<string, string>; deleting?: boolean } = {},
): BootstrapTokenSecret {
  const s = bootstrapTokenSecret({
    tokenId: 'abcdef',
    tokenSecret: '0123456789abcdef',
    expiration: overrides.expiration ?? new Date(NOW.getTime() + 60_000),
    nodeName: 'n1',
  });
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...s.stringData, ...overrides.data }))
    data[k] = Buffer.from(v).toString('base64');
  return {
    type: overrides.type ?? s.type,
    metadata: overrides.deleting ? { deletionTimestamp: NOW.toISOString() } : {},
    data,
  };
}

function authenticatorWith(secret: BootstrapTokenSecret | undefined) {
  const asked: string[] = [];
  const auth = createBootstrapTokenAuthenticator({
    getSecret: (ns, name) => {
      asked.push(`${ns}/${name}`);
      return secret;
    },
    now: () => NOW,
  });
  return { auth, asked };
}

describe('bootstrap token authenticator', () => {
  it('accepts <id>.<secret> of an unexpired token Secret as system:bootstrap:<id> in system:bootstrappers', () => {
    const { auth, asked } = authenticatorWith(stored());
    expect(auth.authenticate('abcdef.0123456789abcdef')).toEqual({
      name: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers'],
    });
    expect(asked).toEqual(['kube-system/bootstrap-token-abcdef']);
  });

  it('rejects an expired token, at the second it expires', () => {
    expect(
      authenticatorWith(stored({ expiration: NOW })).auth.authenticate('abcdef.0123456789abcdef'),
    ).toBeUndefined();
    expect(isTokenExpired(stored({ expiration: new Date(NOW.getTime() - 1000) }), NOW)).toBe(true);
    expect(isTokenExpired(stored({ data: { expiration: 'tomorrow' } }), NOW)).toBe(true);
  });

  it('rejects a wrong secret, a wrong shape, an unknown id and a Secret being deleted', () => {
    const { auth } = authenticatorWith(stored());
    expect(auth.authenticate('abcdef.0123456789abcdee')).toBeUndefined();
    expect(auth.authenticate('abcdef.0123456789abcde')).toBeUndefined();
    expect(auth.authenticate('ABCDEF.0123456789abcdef')).toBeUndefined();
    expect(auth.authenticate('')).toBeUndefined();
    expect(authenticatorWith(undefined).auth.authenticate('abcdef.0123456789abcdef')).toBeUndefined();
    expect(
      authenticatorWith(stored({ deleting: true })).auth.authenticate('abcdef.0123456789abcdef'),
    ).toBeUndefined();
  });

  it('rejects a Secret of another type, without the authentication usage, or naming another id', () => {
    const token = 'abcdef.0123456789abcdef';
    expect(authenticatorWith(stored({ type: 'Opaque' })).auth.authenticate(token)).toBeUndefined();
    expect(
      authenticatorWith(stored({ data: { 'usage-bootstrap-authentication': 'false' } })).auth.authenticate(
        token,
      ),
    ).toBeUndefined();
    expect(
      authenticatorWith(stored({ data: { 'token-id': 'zzzzzz' } })).auth.authenticate(token),
    ).toBeUndefined();
  });

  it('adds well-formed auth-extra-groups and ignores others', () => {
    const { auth } = authenticatorWith(
      stored({ data: { 'auth-extra-groups': 'system:bootstrappers:flotilla, system:masters' } }),
    );
    expect(auth.authenticate('abcdef.0123456789abcdef')?.groups).toEqual([
      'system:bootstrappers',
      'system:bootstrappers:flotilla',
    ]);
  });

  it('firstTokenAuthenticator asks each source in turn', () => {
    const a = { authenticate: (t: string) => (t === 'a' ? { name: 'a', groups: [] } : undefined) };
    const b = { authenticate: (t: string) => (t === 'b' ? { name: 'b', groups: [] } : undefined) };
    const both = firstTokenAuthenticator(a, b);
    expect(both.authenticate('a')?.name).toBe('a');
    expect(both.authenticate('b')?.name).toBe('b');
    expect(both.authenticate('c')).toBeUndefined();
  });
});
