import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesktopError } from '../shared/ipc';
import { createSecretStore, SECRETS_DIR } from './secrets';
import type { SecretCipher } from './secrets';

/** Stands in for safeStorage: a real (if keyless) transformation, so plaintext must not reach disk. */
function xorCipher(available = true): SecretCipher {
  const mask = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
  return {
    isEncryptionAvailable: () => available,
    encryptString: (s) => Buffer.concat([Buffer.from('v10'), mask(Buffer.from(s, 'utf8'))]),
    decryptString: (b) => {
      if (b.subarray(0, 3).toString() !== 'v10') throw new Error('bad blob');
      return mask(b.subarray(3)).toString('utf8');
    },
  };
}

describe('secret store', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'flotilla-secrets-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores only encrypted blobs and reads them back', async () => {
    const store = createSecretStore(dir, xorCipher());
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n';
    await store.store('ssh-key/web-1', key);
    const files = await readdir(join(dir, SECRETS_DIR));
    expect(files).toHaveLength(1);
    const onDisk = await readFile(join(dir, SECRETS_DIR, files[0]!), 'utf8');
    expect(onDisk).not.toContain('OPENSSH');
    expect(Buffer.from(onDisk, 'base64').toString('latin1')).not.toContain('OPENSSH');
    expect(await store.read('ssh-key/web-1')).toBe(key);
    expect(await store.read('ssh-key/other')).toBeNull();
    expect(await store.delete('ssh-key/web-1')).toBe(true);
    expect(await store.delete('ssh-key/web-1')).toBe(false);
    expect(await store.read('ssh-key/web-1')).toBeNull();
  });

  it('rejects unsafe names and oversized values with InvalidArgument', async () => {
    const store = createSecretStore(dir, xorCipher());
    for (const bad of ['../escape', '/abs', '', 'a'.repeat(200), 'sp ace']) {
      await expect(store.store(bad, 'x')).rejects.toMatchObject({ code: 'InvalidArgument' });
    }
    await expect(store.store('big', 'x'.repeat(70_000))).rejects.toBeInstanceOf(DesktopError);
  });

  it('says so when the OS has no key storage, and when a blob cannot be decrypted', async () => {
    await expect(createSecretStore(dir, xorCipher(false)).store('t', 'v')).rejects.toMatchObject({
      code: 'EncryptionUnavailable',
    });
    const store = createSecretStore(dir, xorCipher());
    await store.store('t', 'v');
    const broken = {
      ...xorCipher(),
      decryptString: () => {
        throw new Error('wrong key ring');
      },
    };
    await expect(createSecretStore(dir, broken).read('t')).rejects.toMatchObject({
      code: 'SecretNotReadable',
    });
  });
});
