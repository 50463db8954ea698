// OS key storage for SSH keys and tokens: each secret is encrypted by the OS (Electron's safeStorage:
// Keychain, DPAPI, libsecret/kwallet) and only the encrypted blob is written, one file per key, under
// the app-data folder. The cipher is injected, so this is plain Node and testable without Electron.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, SECRET_DIR_MODE } from '../control-plane/apiserver/pki/files';
import { DesktopError, SECRET_KEY_PATTERN, SECRET_MAX_BYTES } from '../shared/ipc';

export const SECRETS_DIR = 'secrets';

/** What Electron's safeStorage provides. */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(blob: Buffer): string;
}

export interface SecretStore {
  store(key: string, value: string): Promise<void>;
  read(key: string): Promise<string | null>;
  delete(key: string): Promise<boolean>;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || !SECRET_KEY_PATTERN.test(key) || key.includes('..')) {
    throw new DesktopError(
      'InvalidArgument',
      `invalid secret name ${JSON.stringify(key)}: use letters, digits and . _ / -`,
    );
  }
  return key;
}

export function createSecretStore(userDataDir: string, cipher: SecretCipher): SecretStore {
  const dir = join(userDataDir, SECRETS_DIR);
  // Hex keeps any allowed name (including '/') a single flat file name.
  const fileOf = (key: string) => join(dir, `${Buffer.from(checkKey(key), 'utf8').toString('hex')}.enc`);
  const requireCipher = () => {
    if (!cipher.isEncryptionAvailable()) {
      throw new DesktopError(
        'EncryptionUnavailable',
        'the operating system offers no key storage (on Linux: a running secret service such as GNOME Keyring or KWallet)',
      );
    }
  };

  return {
    async store(key, value) {
      const file = fileOf(key);
      if (typeof value !== 'string')
        throw new DesktopError('InvalidArgument', 'a secret value must be a string');
      if (Buffer.byteLength(value, 'utf8') > SECRET_MAX_BYTES) {
        throw new DesktopError('InvalidArgument', `a secret may hold at most ${SECRET_MAX_BYTES} bytes`);
      }
      requireCipher();
      await mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
      await writeFileAtomic(file, cipher.encryptString(value).toString('base64'));
    },
    async read(key) {
      const file = fileOf(key);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      requireCipher();
      try {
        return cipher.decryptString(Buffer.from(text, 'base64'));
      } catch (err) {
        throw new DesktopError(
          'SecretNotReadable',
          `secret ${JSON.stringify(key)} cannot be decrypted (stored under another OS account or key ring?): ${(err as Error).message}`,
        );
      }
    },
    async delete(key) {
      const file = fileOf(key);
      try {
        await rm(file);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    },
  };
}
