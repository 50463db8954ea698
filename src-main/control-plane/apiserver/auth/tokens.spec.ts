import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from './errors';
import { ADMIN_TOKEN_ID, hashToken, loadTokenStore, TokenStore } from './tokens';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flotilla-tokens-'));
  file = path.join(dir, 'tokens.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TokenStore', () => {
  it('creates the admin token once, stores only its hash (0600) and returns the plaintext only then', async () => {
    const store = await TokenStore.open(file);
    const token = await store.ensureAdminToken();
    expect(token).toMatch(/^admin\.[a-z0-9]{32}$/);
    expect(await store.ensureAdminToken()).toBeUndefined();

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain((token as string).split('.')[1]);
    expect(JSON.parse(text).tokens[0]).toMatchObject({
      id: ADMIN_TOKEN_ID,
      sha256: hashToken(token as string),
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const reopened = await TokenStore.open(file);
    expect(await reopened.ensureAdminToken()).toBeUndefined();
    expect(reopened.authenticate(token as string)).toEqual({
      name: 'flotilla-admin',
      groups: ['system:masters'],
    });
  });

  it('loadTokenStore opens DATA_DIR/pki/tokens.json and exposes the admin token on first start only', async () => {
    const first = await loadTokenStore(dir);
    expect(first.file).toBe(path.join(dir, 'pki', 'tokens.json'));
    expect(first.newAdminToken).toMatch(/^admin\./);
    const second = await loadTokenStore(dir);
    expect(second.newAdminToken).toBeUndefined();
    expect(second.authenticate(first.newAdminToken as string)?.name).toBe('flotilla-admin');
  });

  it('adds and removes tokens (bootstrap-token shaped when asked), persisting each change', async () => {
    const store = await TokenStore.open(file);
    const { id, token } = await store.add(
      { name: 'system:bootstrap:x', groups: ['system:bootstrappers'] },
      { secretLength: 16 },
    );
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(token.startsWith(`${id}.`)).toBe(true);
    expect(store.authenticate(token)?.groups).toEqual(['system:bootstrappers']);
    expect((await TokenStore.open(file)).authenticate(token)?.name).toBe('system:bootstrap:x');

    expect(await store.remove(id)).toBe(true);
    expect(await store.remove(id)).toBe(false);
    expect(store.authenticate(token)).toBeUndefined();
    expect((await TokenStore.open(file)).authenticate(token)).toBeUndefined();
  });

  it('keeps every change when adds run concurrently', async () => {
    const store = await TokenStore.open(file);
    const added = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.add({ name: `u${i}`, groups: [] })),
    );
    const reopened = await TokenStore.open(file);
    expect(reopened.list()).toHaveLength(10);
    for (const [i, { token }] of added.entries()) expect(reopened.authenticate(token)?.name).toBe(`u${i}`);
  });

  it('rejects expired tokens, using the injected clock', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const store = await TokenStore.open(file, { now: () => now });
    const { token } = await store.add(
      { name: 'temp', groups: [] },
      { expiresAt: new Date('2030-01-01T01:00:00Z') },
    );
    expect(store.authenticate(token)?.name).toBe('temp');
    now = new Date('2030-01-01T01:00:00Z');
    expect(store.authenticate(token)).toBeUndefined();
  });

  it('rotates the admin token: the old one stops working', async () => {
    const store = await TokenStore.open(file);
    const old = (await store.ensureAdminToken()) as string;
    const fresh = await store.rotateAdminToken();
    expect(fresh).not.toBe(old);
    expect(store.authenticate(old)).toBeUndefined();
    expect(store.authenticate(fresh)?.name).toBe('flotilla-admin');
  });

  it('refuses duplicate or malformed ids and empty tokens', async () => {
    const store = await TokenStore.open(file);
    await store.add({ name: 'a', groups: [] }, { id: 'abcdef' });
    await expect(store.add({ name: 'b', groups: [] }, { id: 'abcdef' })).rejects.toMatchObject({
      code: 'TokenInvalid',
    });
    await expect(store.add({ name: 'b', groups: [] }, { id: 'Bad Id' })).rejects.toBeInstanceOf(AuthError);
    expect(store.authenticate('')).toBeUndefined();
  });

  it('reports a corrupt file as a typed error', async () => {
    await writeFile(file, '{"version":1,"tokens":[{"id":"x"}]}');
    await expect(TokenStore.open(file)).rejects.toMatchObject({ code: 'TokenStoreCorrupt' });
    await writeFile(file, 'nope');
    await expect(TokenStore.open(file)).rejects.toMatchObject({ code: 'TokenStoreCorrupt' });
  });
});
