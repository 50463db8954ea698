// The wizard's saved SSH keys over a fake of window.flotilla.secrets that behaves like the desktop's
// (src-main/app/secrets.ts): same name rules, null for a missing key, DesktopError codes.
import { describe, expect, it } from 'vitest';
import { DesktopError, SECRET_KEY_PATTERN } from '../../../../src-main/shared/ipc';
import {
  createKeyStore,
  KEY_INDEX_SECRET,
  keyNameProblem,
  KeyStoreError,
  keySecretName,
  suggestKeyName,
} from './key-store';
import type { SecretsApi } from './key-store';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----';

function fakeSecrets(options: { encryption?: boolean } = {}) {
  const values = new Map<string, string>();
  const calls: string[] = [];
  const check = (key: string) => {
    if (!SECRET_KEY_PATTERN.test(key) || key.includes('..'))
      throw new DesktopError('InvalidArgument', `invalid secret name ${key}`);
  };
  const available = () => {
    if (options.encryption === false)
      throw new DesktopError('EncryptionUnavailable', 'the operating system offers no key storage');
  };
  const api: SecretsApi = {
    async store(key, value) {
      calls.push(`store ${key}`);
      check(key);
      available();
      values.set(key, value);
    },
    async read(key) {
      calls.push(`read ${key}`);
      check(key);
      if (!values.has(key)) return null;
      available();
      return values.get(key)!;
    },
    async delete(key) {
      calls.push(`delete ${key}`);
      check(key);
      return values.delete(key);
    },
  };
  return { api, values, calls };
}

async function rejection(p: Promise<unknown>): Promise<KeyStoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyStoreError);
  return err as KeyStoreError;
}

describe('saved SSH keys', () => {
  it('saves keys under ssh-key/<name> and lists their names from the index, sorted', async () => {
    const fake = fakeSecrets();
    const keys = createKeyStore(fake.api);
    expect(await keys.list()).toEqual([]);
    await keys.save('web-1', KEY);
    await keys.save('id_ed25519', `${KEY}\n\n`);
    expect(await keys.list()).toEqual(['id_ed25519', 'web-1']);
    expect(fake.values.get(keySecretName('web-1'))).toBe(`${KEY}\n`);
    expect(JSON.parse(fake.values.get(KEY_INDEX_SECRET)!)).toEqual(['id_ed25519', 'web-1']);
    expect(await keys.load('id_ed25519')).toBe(`${KEY}\n`);
  });

  it('writes the key before the index names it, and replaces a key saved again under its name', async () => {
    const fake = fakeSecrets();
    const keys = createKeyStore(fake.api);
    await keys.save('vm', KEY);
    const stores = fake.calls.filter((c) => c.startsWith('store'));
    expect(stores).toEqual([`store ${keySecretName('vm')}`, `store ${KEY_INDEX_SECRET}`]);
    await keys.save('vm', KEY.replace('b3Bl', 'AAAA'));
    expect(await keys.list()).toEqual(['vm']);
    expect(await keys.load('vm')).toContain('AAAA');
  });

  it('keeps every name when saves overlap', async () => {
    const keys = createKeyStore(fakeSecrets().api);
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => keys.save(n, KEY)));
    expect(await keys.list()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('forgets a key: out of the index first, then deleted', async () => {
    const fake = fakeSecrets();
    const keys = createKeyStore(fake.api);
    await keys.save('a', KEY);
    await keys.save('b', KEY);
    fake.calls.length = 0;
    await keys.forget('a');
    expect(await keys.list()).toEqual(['b']);
    expect(fake.values.has(keySecretName('a'))).toBe(false);
    expect(fake.calls.indexOf(`store ${KEY_INDEX_SECRET}`)).toBeLessThan(
      fake.calls.indexOf(`delete ${keySecretName('a')}`),
    );
  });

  it('a key deleted behind its back: NotFound, and it leaves the index', async () => {
    const fake = fakeSecrets();
    const keys = createKeyStore(fake.api);
    await keys.save('gone', KEY);
    fake.values.delete(keySecretName('gone'));
    expect((await rejection(keys.load('gone'))).code).toBe('NotFound');
    expect(await keys.list()).toEqual([]);
  });

  it('a damaged index lists nothing, and the next save starts a new one', async () => {
    const fake = fakeSecrets();
    fake.values.set(KEY_INDEX_SECRET, '{not json');
    const keys = createKeyStore(fake.api);
    expect(await keys.list()).toEqual([]);
    fake.values.set(KEY_INDEX_SECRET, JSON.stringify(['ok', 42, '../etc', ' spaced', 'ok']));
    expect(await keys.list()).toEqual(['ok']);
    await keys.save('new', KEY);
    expect(await keys.list()).toEqual(['new', 'ok']);
  });

  it('refuses names that are not file-name-like, before touching the store', async () => {
    const fake = fakeSecrets();
    const keys = createKeyStore(fake.api);
    for (const bad of ['', ' ', 'a/b', '-x', 'a..b', 'x'.repeat(65), 'key with space']) {
      expect(keyNameProblem(bad), bad).toBeDefined();
      expect((await rejection(keys.save(bad, KEY))).code).toBe('InvalidName');
    }
    expect(fake.calls).toEqual([]);
    expect(keyNameProblem('id_ed25519')).toBeUndefined();
    expect(keyNameProblem('home-lab.2')).toBeUndefined();
  });

  it('says when the OS key store is unavailable', async () => {
    const keys = createKeyStore(fakeSecrets({ encryption: false }).api);
    const err = await rejection(keys.save('vm', KEY));
    expect(err.code).toBe('Unavailable');
    expect(err.message).toMatch(/key store is not available/);
  });

  it('suggests a name from the key file, else the machine', () => {
    expect(suggestKeyName('id_ed25519', 'vm1')).toBe('id_ed25519');
    expect(suggestKeyName('my key (work).pem', 'vm1')).toBe('my-key-work-.pem');
    expect(suggestKeyName(undefined, 'vm1.lan')).toBe('vm1.lan');
    expect(suggestKeyName('..', '')).toBe('ssh-key');
    for (const s of [suggestKeyName('my key (work).pem', ''), suggestKeyName('...x', '')])
      expect(keyNameProblem(s), s).toBeUndefined();
  });
});
