// The desktop app's own settings (a small JSON file in the app-data folder): which cluster to show —
// the control plane inside the app, or a remote Flotilla reached with a kubeconfig — and whether to
// ask before quitting. Plain Node; unreadable or invalid files fall back to defaults with a reason.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../control-plane/apiserver/pki/files';

export const SETTINGS_FILE = 'settings.json';

/** The port the in-app API server listens on when nothing else is set (kubectl's exported config uses it). */
export const DEFAULT_LOCAL_PORT = 6443;

export type Connection =
  { mode: 'local'; port: number } | { mode: 'remote'; kubeconfigPath: string; context?: string };

export interface DesktopSettings {
  connection: Connection;
  /** Ask before quitting (the dialog says what keeps running). */
  confirmQuit: boolean;
}

export const DEFAULT_SETTINGS: DesktopSettings = {
  connection: { mode: 'local', port: DEFAULT_LOCAL_PORT },
  confirmQuit: true,
};

export interface LoadedSettings {
  settings: DesktopSettings;
  /** Why the file was not used as it is, when it was not. */
  problem?: string;
}

export function parseSettings(value: unknown): LoadedSettings {
  if (!value || typeof value !== 'object')
    return { settings: DEFAULT_SETTINGS, problem: 'not a JSON object' };
  const raw = value as { connection?: Record<string, unknown>; confirmQuit?: unknown };
  const settings: DesktopSettings = {
    connection: DEFAULT_SETTINGS.connection,
    confirmQuit: typeof raw.confirmQuit === 'boolean' ? raw.confirmQuit : DEFAULT_SETTINGS.confirmQuit,
  };
  const c = raw.connection;
  if (c === undefined) return { settings };
  if (c?.mode === 'local') {
    const port = c.port ?? DEFAULT_LOCAL_PORT;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      return { settings, problem: `connection.port must be 0-65535, not ${JSON.stringify(port)}` };
    }
    settings.connection = { mode: 'local', port };
    return { settings };
  }
  if (c?.mode === 'remote') {
    if (typeof c.kubeconfigPath !== 'string' || !c.kubeconfigPath) {
      return { settings, problem: 'connection.kubeconfigPath is required for a remote connection' };
    }
    settings.connection = {
      mode: 'remote',
      kubeconfigPath: c.kubeconfigPath,
      ...(typeof c.context === 'string' && c.context ? { context: c.context } : {}),
    };
    return { settings };
  }
  return { settings, problem: `connection.mode must be "local" or "remote"` };
}

export async function loadSettings(userDataDir: string): Promise<LoadedSettings> {
  let text: string;
  try {
    text = await readFile(join(userDataDir, SETTINGS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { settings: DEFAULT_SETTINGS };
    return { settings: DEFAULT_SETTINGS, problem: `cannot read ${SETTINGS_FILE}: ${(err as Error).message}` };
  }
  try {
    return parseSettings(JSON.parse(text));
  } catch (err) {
    return {
      settings: DEFAULT_SETTINGS,
      problem: `${SETTINGS_FILE} is not valid JSON: ${(err as Error).message}`,
    };
  }
}

export async function saveSettings(userDataDir: string, settings: DesktopSettings): Promise<void> {
  await writeFileAtomic(join(userDataDir, SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`);
}
