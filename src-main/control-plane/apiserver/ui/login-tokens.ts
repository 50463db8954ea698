// One-time login for the browser UI. `flotilla server --ui` prints a link carrying a login token in
// the URL fragment (fragments never reach server logs or Referer headers); the page trades it once,
// at POST /ui/session, for a session bearer token that it keeps in sessionStorage and sends with every
// API request. Session tokens live only in this process's memory, as SHA-256 hashes: a restart ends
// every session, and the server never holds a usable token at rest.
import { createHash, randomBytes } from 'node:crypto';
import type { UserInfo } from '../auth/user';
import { ADMIN_USER } from '../auth/user';

export interface LoginTokenOptions {
  /** Who a session acts as. Default: the cluster admin (the person who started the server). */
  user?: UserInfo;
  /** How long an unused login link stays valid. Default 24 h. */
  loginTtlMs?: number;
  /** How long a session lasts. Default 12 h. */
  sessionTtlMs?: number;
  now?: () => number;
  /** Token entropy source (injectable so tests can be deterministic). */
  random?: (bytes: number) => Buffer;
}

export interface Session {
  sessionToken: string;
  user: UserInfo;
  expiresAt: string;
}

export interface LoginTokens {
  /** A fresh one-time login token. */
  issueLoginToken(): string;
  /** A fresh login link for a server base URL (`https://127.0.0.1:6443`): `…/ui/#/login?token=…`. */
  loginUrl(serverUrl: string): string;
  /** Trades a login token for a session; undefined when the token is unknown, used or expired. */
  exchange(loginToken: string): Session | undefined;
  /** The user of a live session token, or undefined. What the API server's authenticator calls. */
  validateSessionToken(token: string): UserInfo | undefined;
  /** Ends a session (sign out). False when there was no such session. */
  revokeSession(token: string): boolean;
}

const LOGIN_PREFIX = 'fl-login-';
const SESSION_PREFIX = 'fl-session-';

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function createLoginTokens(options: LoginTokenOptions = {}): LoginTokens {
  const user = options.user ?? ADMIN_USER;
  const loginTtlMs = options.loginTtlMs ?? 24 * 60 * 60 * 1000;
  const sessionTtlMs = options.sessionTtlMs ?? 12 * 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  const random = options.random ?? randomBytes;
  // Keyed by hash: lookups by a random 256-bit token's hash leak nothing useful through timing.
  const logins = new Map<string, number>();
  const sessions = new Map<string, { user: UserInfo; expiresAt: number }>();

  const prune = () => {
    const t = now();
    for (const [k, exp] of logins) if (exp <= t) logins.delete(k);
    for (const [k, s] of sessions) if (s.expiresAt <= t) sessions.delete(k);
  };

  const issueLoginToken = () => {
    prune();
    const token = LOGIN_PREFIX + random(32).toString('base64url');
    logins.set(sha256(token), now() + loginTtlMs);
    return token;
  };

  return {
    issueLoginToken,
    loginUrl(serverUrl) {
      return `${serverUrl.replace(/\/+$/, '')}/ui/#/login?token=${encodeURIComponent(issueLoginToken())}`;
    },
    exchange(loginToken) {
      if (typeof loginToken !== 'string' || !loginToken.startsWith(LOGIN_PREFIX)) return undefined;
      const key = sha256(loginToken);
      const expires = logins.get(key);
      // Single use: the login token is gone whether or not it was still valid.
      logins.delete(key);
      if (expires === undefined || expires <= now()) return undefined;
      prune();
      const sessionToken = SESSION_PREFIX + random(32).toString('base64url');
      const expiresAt = now() + sessionTtlMs;
      sessions.set(sha256(sessionToken), { user: { ...user, groups: [...user.groups] }, expiresAt });
      return {
        sessionToken,
        user: { ...user, groups: [...user.groups] },
        expiresAt: new Date(expiresAt).toISOString(),
      };
    },
    validateSessionToken(token) {
      if (typeof token !== 'string' || !token.startsWith(SESSION_PREFIX)) return undefined;
      const session = sessions.get(sha256(token));
      if (!session) return undefined;
      if (session.expiresAt <= now()) {
        sessions.delete(sha256(token));
        return undefined;
      }
      return { ...session.user, groups: [...session.user.groups] };
    },
    revokeSession(token) {
      return sessions.delete(sha256(token));
    },
  };
}
