// Bootstrap tokens as Kubernetes authenticates them (plugin/pkg/auth/authenticator/token/bootstrap):
// a bearer token `<id>.<secret>` is valid while the Secret `kube-system/bootstrap-token-<id>` exists,
// has type bootstrap.kubernetes.io/token, allows authentication, is not expired and holds the same
// secret. The user is `system:bootstrap:<id>` in system:bootstrappers (plus the token's
// auth-extra-groups). Secrets are read from the API server's watch cache: the lookup is synchronous
// like the rest of authentication, and a deleted (spent) token stops working as soon as the cache
// has seen the delete.
import { timingSafeEqual } from 'node:crypto';
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_PATTERN,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  BOOTSTRAP_USER_PREFIX,
  bootstrapTokenSecretName,
  GROUP_BOOTSTRAPPERS,
  TOKEN_EXPIRATION_KEY,
  TOKEN_ID_KEY,
  TOKEN_SECRET_KEY,
  TOKEN_USAGE_AUTHENTICATION_KEY,
} from '../../../shared/bootstrap';
import { resourcePrefix } from '../storage/keys';
import type { WatchCache } from '../storage/watch-cache';
import type { TokenAuthenticator } from './tokens';
import type { UserInfo } from './user';

const EXTRA_GROUPS_KEY = 'auth-extra-groups';
const EXTRA_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** The little of a Secret the authenticator reads. */
export interface BootstrapTokenSecret {
  type?: string;
  metadata?: { deletionTimestamp?: string };
  data?: Record<string, string>;
}

export interface BootstrapTokenAuthenticatorOptions {
  /** The Secret `namespace/name` as the API server sees it now, or undefined. */
  getSecret(namespace: string, name: string): BootstrapTokenSecret | undefined;
  now?: () => Date;
}

function field(secret: BootstrapTokenSecret, key: string): string | undefined {
  const v = secret.data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/** True once the token's `expiration` (RFC 3339) has passed; a token without one never expires. */
export function isTokenExpired(secret: BootstrapTokenSecret, now: Date): boolean {
  const expiration = field(secret, TOKEN_EXPIRATION_KEY);
  if (expiration === undefined) return false;
  const t = Date.parse(expiration);
  // An unreadable expiration is treated as expired: never let a malformed token live forever.
  return Number.isNaN(t) || t <= now.getTime();
}

/** Equal-length comparison in constant time; a length mismatch still does the same work. */
function sameSecret(presented: string, stored: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(stored, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

export function createBootstrapTokenAuthenticator(
  options: BootstrapTokenAuthenticatorOptions,
): TokenAuthenticator {
  const now = options.now ?? (() => new Date());
  return {
    authenticate(token: string): UserInfo | undefined {
      const match = BOOTSTRAP_TOKEN_PATTERN.exec(token);
      if (!match) return undefined;
      const [, id, secretText] = match as unknown as [string, string, string];
      const secret = options.getSecret(BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(id));
      if (!secret || secret.metadata?.deletionTimestamp) return undefined;
      if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return undefined;
      const storedSecret = field(secret, TOKEN_SECRET_KEY) ?? '';
      // Compare before any other check on the secret's content, so timing does not tell a caller
      // which part of a guessed token was wrong.
      const secretMatches = sameSecret(secretText, storedSecret);
      if (!secretMatches || field(secret, TOKEN_ID_KEY) !== id) return undefined;
      if (field(secret, TOKEN_USAGE_AUTHENTICATION_KEY) !== 'true') return undefined;
      if (isTokenExpired(secret, now())) return undefined;
      const extra = (field(secret, EXTRA_GROUPS_KEY) ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter((g) => EXTRA_GROUP_PATTERN.test(g));
      return { name: `${BOOTSTRAP_USER_PREFIX}${id}`, groups: [GROUP_BOOTSTRAPPERS, ...extra] };
    },
  };
}

/** `getSecret` over the API server's watch cache (late-bound: the cache exists once the server started). */
export function secretsFromCache(
  cache: () => WatchCache | undefined,
): BootstrapTokenAuthenticatorOptions['getSecret'] {
  const secrets = { group: '', plural: 'secrets' };
  return (namespace, name) =>
    cache()
      ?.cacheFor(secrets)
      .get(`${resourcePrefix(secrets)}${namespace}/${name}`)?.obj as BootstrapTokenSecret | undefined;
}

/** Tries each token source in turn: the first that knows the token decides. */
export function firstTokenAuthenticator(...sources: TokenAuthenticator[]): TokenAuthenticator {
  return {
    authenticate(token) {
      for (const s of sources) {
        const user = s.authenticate(token);
        if (user) return user;
      }
      return undefined;
    },
  };
}
