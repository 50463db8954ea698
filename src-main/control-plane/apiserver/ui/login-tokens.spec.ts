import { describe, expect, it } from 'vitest';
import { createLoginTokens } from './login-tokens';

describe('createLoginTokens', () => {
  it('trades a login token once for a session that validates until it expires', () => {
    let now = 1_000_000;
    const tokens = createLoginTokens({ now: () => now, sessionTtlMs: 60_000 });
    const login = tokens.issueLoginToken();
    const session = tokens.exchange(login)!;
    expect(session.user.name).toBe('flotilla-admin');
    expect(tokens.validateSessionToken(session.sessionToken)?.groups).toContain('system:masters');
    // Single use.
    expect(tokens.exchange(login)).toBeUndefined();
    // The login token is not itself a session token, and vice versa.
    expect(tokens.validateSessionToken(login)).toBeUndefined();
    expect(tokens.exchange(session.sessionToken)).toBeUndefined();
    now += 60_001;
    expect(tokens.validateSessionToken(session.sessionToken)).toBeUndefined();
  });

  it('expires unused login links and can revoke sessions', () => {
    let now = 0;
    const tokens = createLoginTokens({ now: () => now, loginTtlMs: 1000 });
    const stale = tokens.issueLoginToken();
    now = 1001;
    expect(tokens.exchange(stale)).toBeUndefined();
    const session = tokens.exchange(tokens.issueLoginToken())!;
    expect(tokens.revokeSession(session.sessionToken)).toBe(true);
    expect(tokens.validateSessionToken(session.sessionToken)).toBeUndefined();
    expect(tokens.revokeSession(session.sessionToken)).toBe(false);
  });

  it('builds the link the server prints, with the token in the fragment', () => {
    const tokens = createLoginTokens();
    const url = tokens.loginUrl('https://127.0.0.1:6443/');
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:6443\/ui\/#\/login\?token=fl-login-[A-Za-z0-9_-]{43}$/);
    const token = decodeURIComponent(url.split('token=')[1]!);
    expect(tokens.exchange(token)).toBeDefined();
    expect(tokens.validateSessionToken('garbage')).toBeUndefined();
    expect(tokens.validateSessionToken('')).toBeUndefined();
  });
});
