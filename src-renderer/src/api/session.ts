// The session bearer token: obtained once from a login link (POST /ui/session) and kept in
// sessionStorage, so it dies with the tab and never sits in localStorage or a cookie.
const STORAGE_KEY = 'flotilla.session';

export interface StoredSession {
  token: string;
  user: string;
  expiresAt: string;
}

export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class LoginError extends Error {
  constructor(
    readonly code: 'LoginRejected' | 'LoginUnavailable',
    message: string,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

export function readSession(
  storage: SessionStorageLike = sessionStorage,
  now = Date.now(),
): StoredSession | undefined {
  const text = storage.getItem(STORAGE_KEY);
  if (!text) return undefined;
  try {
    const session = JSON.parse(text) as StoredSession;
    if (typeof session.token !== 'string' || Date.parse(session.expiresAt) <= now) {
      storage.removeItem(STORAGE_KEY);
      return undefined;
    }
    return session;
  } catch {
    storage.removeItem(STORAGE_KEY);
    return undefined;
  }
}

export function writeSession(session: StoredSession, storage: SessionStorageLike = sessionStorage): void {
  storage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(storage: SessionStorageLike = sessionStorage): void {
  storage.removeItem(STORAGE_KEY);
}

/** Trades a one-time login token for a session. */
export async function exchangeLoginToken(
  loginToken: string,
  doFetch: typeof fetch = fetch,
): Promise<StoredSession> {
  let res: Response;
  try {
    res = await doFetch('/ui/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token: loginToken }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (err) {
    throw new LoginError('LoginUnavailable', `cannot reach the server: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as {
    sessionToken?: string;
    user?: { name?: string };
    expiresAt?: string;
    message?: string;
  };
  if (!res.ok || !body.sessionToken) {
    throw new LoginError(
      res.status === 401 ? 'LoginRejected' : 'LoginUnavailable',
      body.message ?? `HTTP ${res.status}`,
    );
  }
  return { token: body.sessionToken, user: body.user?.name ?? 'unknown', expiresAt: body.expiresAt ?? '' };
}

/** Ends the session on the server too (best effort: the token is forgotten locally either way). */
export async function endSession(token: string, doFetch: typeof fetch = fetch): Promise<void> {
  await doFetch('/ui/session', {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${token}` },
    credentials: 'omit',
  }).catch(() => undefined);
}
