// The native menu as a template built from plain data and callbacks (Electron is imported for types
// only), so the items, roles and accelerators are checked without Electron. Standard roles give the
// platform's own behaviour and shortcuts for everything except Flotilla's own commands.
import type { MenuItemConstructorOptions } from 'electron';

export const DOCS_URL = 'https://flotilla.dev/docs/';

export interface MenuActions {
  applyManifest(): void;
  exportKubeconfig(): void;
  connectRemote(): void;
  useLocal(): void;
  openDocs(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Developer tools only in development builds. */
  isDev: boolean;
  mode: 'local' | 'remote';
  actions: MenuActions;
}

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const { platform, isDev, mode, actions } = options;
  const mac = platform === 'darwin';
  const sep: MenuItemConstructorOptions = { type: 'separator' };

  const appMenu: MenuItemConstructorOptions = {
    label: 'Flotilla',
    submenu: [
      { role: 'about' },
      sep,
      { role: 'services' },
      sep,
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      sep,
      { role: 'quit' },
    ],
  };

  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      {
        id: 'apply-manifest',
        label: 'Apply Manifest…',
        accelerator: 'CmdOrCtrl+O',
        click: () => actions.applyManifest(),
      },
      {
        id: 'export-kubeconfig',
        label: 'Export Kubeconfig…',
        accelerator: 'CmdOrCtrl+Shift+E',
        click: () => actions.exportKubeconfig(),
      },
      sep,
      mode === 'local'
        ? { id: 'connect-remote', label: 'Connect to Remote Flotilla…', click: () => actions.connectRemote() }
        : { id: 'use-local', label: 'Use the Built-in Control Plane', click: () => actions.useLocal() },
      ...(mac
        ? [sep, { role: 'close' } as const]
        : [sep, { role: 'quit', accelerator: 'CmdOrCtrl+Q' } as const]),
    ],
  };

  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      sep,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'delete' },
      sep,
      { role: 'selectAll' },
    ],
  };

  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      { role: 'reload' },
      { role: 'forceReload' },
      ...(isDev ? [{ role: 'toggleDevTools' } as const] : []),
      sep,
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      sep,
      { role: 'togglefullscreen' },
    ],
  };

  const windowMenu: MenuItemConstructorOptions = {
    role: 'windowMenu',
    submenu: mac
      ? [{ role: 'minimize' }, { role: 'zoom' }, sep, { role: 'front' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  };

  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [
      { id: 'docs', label: 'Flotilla Documentation', click: () => actions.openDocs() },
      ...(mac ? [] : [sep, { role: 'about' } as const]),
    ],
  };

  return [...(mac ? [appMenu] : []), file, edit, view, windowMenu, help];
}
