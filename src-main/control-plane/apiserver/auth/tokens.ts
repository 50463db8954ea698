// Bearer tokens, kept in DATA_DIR/pki/tokens.json (mode 0600) as SHA-256 hashes only: reading the file
// does not reveal a usable token. A token is `ID.SECRET` (the shape of Kubernetes bootstrap tokens:
// the ID is public and names the token for listing and removal, the secret is what proves identity).
// The admin token is made on first start; its plaintext is returned exactly once, to the caller that
// created it. Later, bootstrap tokens for joining nodes are added and removed through the same API.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readOptional, writeFileAtomic } from '../pki/files';
import { AuthError } from './errors';
import type { UserInfo } from './user';
import { ADMIN_USER } from './user';

export const ADMIN_TOKEN_ID = 'admin';
const ID_PATTERN = /^[a-z0-9-]{1,63}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface TokenRecord {
  id: string;
  /** Hex SHA-256 of the whole token text (`ID.SECRET`). */
  sha256: string;
  user: UserInfo;
  description?: string;
  createdAt: string;
  expiresAt?: string;
}

interface TokenFile {
  version: 1;
  tokens: TokenRecord[];
}

/** What the authenticator needs: the lookup only, so tests and other sources can provide one. */
export interface TokenAuthenticator {
  authenticate(token: string): UserInfo | undefined;
}

export interface AddTokenOptions {
  /** Public part; generated (6 characters, like a bootstrap token ID) when absent. */
  id?: string;
  /** Secret length in characters of [a-z0-9]: 16 for bootstrap tokens, 32 (default) otherwise. */
  secretLength?: number;
  description?: string;
  expiresAt?: Date;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function randomTokenText(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

export class TokenStore implements TokenAuthenticator {
  /** Set by `loadTokenStore` when it created the admin token in this call: its one-time plaintext. */
  newAdminToken?: string;
  private records: TokenRecord[];
  private hashes: Buffer[];
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    records: TokenRecord[],
    private readonly now: () => Date,
  ) {
    this.records = records;
    this.hashes = records.map((r) => Buffer.from(r.sha256, 'hex'));
  }

  /** Loads the store, or starts an empty one if the file does not exist yet (it is written on first change). */
  static async open(file: string, options: { now?: () => Date } = {}): Promise<TokenStore> {
    let text: string | undefined;
    try {
      text = await readOptional(file);
    } catch (err) {
      throw new AuthError('TokenStoreIo', `cannot read ${file}: ${(err as Error).message}`, file, {
        cause: err,
      });
    }
    const records = text === undefined ? [] : parseTokenFile(text, file);
    if (text !== undefined) await fs.chmod(file, 0o600);
    return new TokenStore(file, records, options.now ?? (() => new Date()));
  }

  /**
   * The user a token belongs to, if it is known and not expired. Compares hashes in constant time
   * and always against every record, so timing reveals neither a near miss nor which entry matched.
   */
  authenticate(token: string): UserInfo | undefined {
    if (!token) return undefined;
    const presented = Buffer.from(hashToken(token), 'hex');
    let match: TokenRecord | undefined;
    for (let i = 0; i < this.records.length; i++) {
      const stored = this.hashes[i];
      if (stored && stored.length === presented.length && timingSafeEqual(stored, presented)) {
        match = this.records[i];
      }
    }
    if (!match) return undefined;
    if (match.expiresAt && Date.parse(match.expiresAt) <= this.now().getTime()) return undefined;
    return { ...match.user, groups: [...match.user.groups] };
  }

  list(): readonly TokenRecord[] {
    return this.records.map((r) => ({ ...r, user: { ...r.user, groups: [...r.user.groups] } }));
  }

  has(id: string): boolean {
    return this.records.some((r) => r.id === id);
  }

  /** Creates a token for `user` and returns its plaintext: the only time it is ever available. */
  async add(user: UserInfo, options: AddTokenOptions = {}): Promise<{ id: string; token: string }> {
    const id = options.id ?? randomTokenText(6);
    if (!ID_PATTERN.test(id)) {
      throw new AuthError('TokenInvalid', `token id ${JSON.stringify(id)} must match ${ID_PATTERN}`);
    }
    const token = `${id}.${randomTokenText(options.secretLength ?? 32)}`;
    const record: TokenRecord = {
      id,
      sha256: hashToken(token),
      user: { ...user, groups: [...user.groups] },
      createdAt: this.now().toISOString(),
      ...(options.description ? { description: options.description } : {}),
      ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
    };
    await this.mutate((records) => {
      if (records.some((r) => r.id === id)) {
        throw new AuthError('TokenInvalid', `a token with id ${JSON.stringify(id)} already exists`);
      }
      return { records: [...records, record], result: undefined };
    });
    return { id, token };
  }

  /** Removes the token with this id; false when there was none. */
  async remove(id: string): Promise<boolean> {
    return this.mutate((records) => {
      const kept = records.filter((r) => r.id !== id);
      return kept.length === records.length ? { records, result: false } : { records: kept, result: true };
    });
  }

  /** Creates the admin token on first start. Returns its plaintext when it was created now, else undefined. */
  async ensureAdminToken(): Promise<string | undefined> {
    if (this.has(ADMIN_TOKEN_ID)) return undefined;
    const { token } = await this.add(ADMIN_USER, {
      id: ADMIN_TOKEN_ID,
      description: 'cluster admin, created on first start',
    });
    return token;
  }

  /** Replaces the admin token (the old one stops working) and returns the new plaintext. */
  async rotateAdminToken(): Promise<string> {
    await this.remove(ADMIN_TOKEN_ID);
    return (await this.ensureAdminToken()) as string;
  }

  /**
   * Changes are queued and each is computed from the records as the previous change left them, so
   * concurrent add/remove calls never lose each other's update.
   */
  private mutate<T>(change: (records: TokenRecord[]) => { records: TokenRecord[]; result: T }): Promise<T> {
    const run = this.writes.then(async () => {
      const { records, result } = change(this.records);
      if (records === this.records) return result;
      const body: TokenFile = { version: 1, tokens: records };
      try {
        await writeFileAtomic(this.file, `${JSON.stringify(body, null, 2)}\n`);
      } catch (err) {
        throw new AuthError(
          'TokenStoreIo',
          `cannot write ${this.file}: ${(err as Error).message}`,
          this.file,
          {
            cause: err,
          },
        );
      }
      this.records = records;
      this.hashes = records.map((r) => Buffer.from(r.sha256, 'hex'));
      return result;
    });
    this.writes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

function parseTokenFile(text: string, file: string): TokenRecord[] {
  const corrupt = (why: string) => new AuthError('TokenStoreCorrupt', `${file}: ${why}`, file);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw corrupt(`not JSON (${(err as Error).message})`);
  }
  const tokens = (body as Partial<TokenFile> | null)?.tokens;
  if ((body as Partial<TokenFile> | null)?.version !== 1 || !Array.isArray(tokens))
    throw corrupt('expected {"version":1,"tokens":[…]}');
  for (const [i, t] of tokens.entries()) {
    const ok =
      typeof t?.id === 'string' &&
      typeof t.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(t.sha256) &&
      typeof t.user?.name === 'string' &&
      Array.isArray(t.user.groups) &&
      t.user.groups.every((g: unknown) => typeof g === 'string');
    if (!ok) throw corrupt(`tokens[${i}] is malformed`);
  }
  return tokens;
}

/**
 * Opens DATA_DIR/pki/tokens.json and makes sure the admin token exists. On first start the admin
 * token's plaintext is in `store.newAdminToken`; afterwards only its hash is known.
 */
export async function loadTokenStore(
  dataDir: string,
  options: { now?: () => Date } = {},
): Promise<TokenStore> {
  const dir = path.join(dataDir, 'pki');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const store = await TokenStore.open(path.join(dir, 'tokens.json'), options);
  store.newAdminToken = await store.ensureAdminToken();
  return store;
}
