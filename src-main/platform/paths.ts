// Where Flotilla keeps its state when nobody says otherwise: the OS's per-user application-data
// folder, the same place the desktop app uses, so `flotilla server` and the app can share a cluster.
import os from 'node:os';
import path from 'node:path';

export interface PlatformEnv {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  home: string;
}

function currentEnv(): PlatformEnv {
  return { platform: process.platform, env: process.env, home: os.homedir() };
}

/**
 * Linux and other Unixes: `$XDG_DATA_HOME/flotilla` (default `~/.local/share/flotilla`);
 * macOS: `~/Library/Application Support/Flotilla`; Windows: `%APPDATA%\Flotilla`.
 */
export function defaultDataDir(p: PlatformEnv = currentEnv()): string {
  switch (p.platform) {
    case 'darwin':
      return path.posix.join(p.home, 'Library', 'Application Support', 'Flotilla');
    case 'win32':
      return path.win32.join(p.env.APPDATA ?? path.win32.join(p.home, 'AppData', 'Roaming'), 'Flotilla');
    default: {
      // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
      const xdg = p.env.XDG_DATA_HOME;
      const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(p.home, '.local', 'share');
      return path.posix.join(base, 'flotilla');
    }
  }
}

/** Expands a leading `~` the way a shell would, for paths that arrive unexpanded (quoted, from config). */
export function expandHome(p: string, home: string = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}
