// SSH private keys kept in this computer's key store (the desktop app's `window.flotilla.secrets`,
// encrypted by the OS through Electron's safeStorage), so the add-machine wizard can offer them again.
// The store has no "list" call, so the names of saved keys are kept in one more secret, an index:
//   ssh-keys/index   → JSON array of names
//   ssh-key/<name>   → the private key
// A key is written before the index names it, and dropped from the index before it is deleted, so the
// index never names a key that is not there — unless something outside this module deleted it, which
// load() notices and repairs.
import { desktopErrorCode } from '../../../../src-main/shared/ipc';
import type { FlotillaDesktopApi } from '../../../../src-main/shared/ipc';

export type SecretsApi = FlotillaDesktopApi['secrets'];

export const KEY_INDEX_SECRET = 'ssh-keys/index';
export const keySecretName = (name: string): string => `ssh-key/${name}`;

/** Names are file-name-like: they become part of a secret's key, and people recognise `id_ed25519`. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type KeyStoreErrorCode = 'InvalidName' | 'NotFound' | 'Unavailable' | 'Failed';

export class KeyStoreError extends Error {
  constructor(
    readonly code: KeyStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyStoreError';
  }
}

/** What is wrong with a name for a saved key, if anything. */
export function keyNameProblem(name: string): string | undefined {
  const n = name.trim();
  if (!n) return 'Give the key a name, e.g. id_ed25519 or home-lab.';
  if (!NAME_PATTERN.test(n) || n.includes('..'))
    return 'Use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit.';
  return undefined;
}

/** A name for a key: its file's name when it came from one, else the machine's name. */
export function suggestKeyName(fileName: string | undefined, machineName: string): string {
  const clean = (s: string) =>
    s
      .trim()
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/\.{2,}/g, '.')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64);
  return clean(fileName ?? '') || clean(machineName) || 'ssh-key';
}

function parseIndex(text: string | null): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    const names = value.filter(
      (n): n is string => typeof n === 'string' && n === n.trim() && !keyNameProblem(n),
    );
    return [...new Set(names)].sort((a, b) => a.localeCompare(b));
  } catch {
    return []; // a damaged index: start a new one rather than lock the person out of saving
  }
}

/** Desktop errors as this module's: the OS key store being unavailable is worth its own words. */
function translate(err: unknown, doing: string): KeyStoreError {
  if (err instanceof KeyStoreError) return err;
  const code = desktopErrorCode(err);
  if (code === 'EncryptionUnavailable')
    return new KeyStoreError(
      'Unavailable',
      `This computer's key store is not available (${doing}). On Linux it needs a keyring such as GNOME Keyring or KWallet.`,
    );
  return new KeyStoreError('Failed', `Cannot ${doing}: ${(err as Error)?.message ?? String(err)}`);
}

export interface KeyStore {
  /** The names of saved keys, sorted. */
  list(): Promise<string[]>;
  /** Saves (or replaces) a key under a name. */
  save(name: string, privateKey: string): Promise<void>;
  /** The saved key's text; NotFound if it is gone (and then it leaves the index). */
  load(name: string): Promise<string>;
  forget(name: string): Promise<void>;
}

export function createKeyStore(secrets: SecretsApi): KeyStore {
  // Index updates are read-modify-write: one at a time, so two saves cannot drop each other's name.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const readIndex = async () => parseIndex(await secrets.read(KEY_INDEX_SECRET));
  const writeIndex = (names: string[]) =>
    secrets.store(KEY_INDEX_SECRET, JSON.stringify([...new Set(names)].sort((a, b) => a.localeCompare(b))));
  const checkName = (name: string) => {
    const problem = keyNameProblem(name);
    if (problem) throw new KeyStoreError('InvalidName', problem);
    return name.trim();
  };
  const dropFromIndex = async (name: string) => {
    const names = await readIndex();
    if (names.includes(name)) await writeIndex(names.filter((n) => n !== name));
  };

  return {
    async list() {
      try {
        return await readIndex();
      } catch (err) {
        throw translate(err, 'read the saved keys');
      }
    },
    save(name, privateKey) {
      return serial(async () => {
        const n = checkName(name);
        try {
          await secrets.store(keySecretName(n), `${privateKey.trim()}\n`);
          const names = await readIndex();
          if (!names.includes(n)) await writeIndex([...names, n]);
        } catch (err) {
          throw translate(err, `save the key "${n}"`);
        }
      });
    },
    load(name) {
      return serial(async () => {
        const n = checkName(name);
        let text: string | null;
        try {
          text = await secrets.read(keySecretName(n));
        } catch (err) {
          throw translate(err, `read the key "${n}"`);
        }
        if (text === null) {
          await dropFromIndex(n).catch(() => undefined);
          throw new KeyStoreError(
            'NotFound',
            `The saved key "${n}" is no longer in this computer's key store.`,
          );
        }
        return text;
      });
    },
    forget(name) {
      return serial(async () => {
        const n = checkName(name);
        try {
          await dropFromIndex(n);
          await secrets.delete(keySecretName(n));
        } catch (err) {
          throw translate(err, `forget the key "${n}"`);
        }
      });
    },
  };
}
