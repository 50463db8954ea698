// The desktop app's main process: thin wiring of Electron around plain-Node parts. One instance; on
// ready it starts the control plane in-process (or connects to a remote Flotilla), opens one hardened
// window on the UI's login link, and adds the native menu, the tray's health and notifications. On
// quit it stops the control plane cleanly; the agents on the machines keep running their pods.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, Menu, safeStorage, shell } from 'electron';
import type { BrowserWindow } from 'electron';
import { loadKubeconfig } from '../control-plane/client/kubeconfig';
import { createLogger } from '../platform/logger';
import { defaultDataDir } from '../platform/paths';
import { IPC_EVENT_COMMAND } from '../shared/ipc';
import type { DesktopCommand } from '../shared/ipc';
import type { Stoppable } from '../shared/kube/types';
import { exportKubeconfig, startBackend } from './backend';
import type { Backend } from './backend';
import { watchCluster } from './cluster-watch';
import { createIpcHandlers, readPickedFile, registerIpcHandlers, showNotification } from './ipc-handlers';
import { buildMenuTemplate, DOCS_URL } from './menu';
import { createSecretStore } from './secrets';
import { DEFAULT_LOCAL_PORT, loadSettings, saveSettings } from './settings';
import type { DesktopSettings } from './settings';
import { createTray } from './tray';
import type { AppTray } from './tray';
import { createMainWindow, hardenSession } from './window';

const log = createLogger({
  component: 'desktop',
  level: process.env.FLOTILLA_LOG_LEVEL === 'debug' ? 'debug' : 'info',
});
const here = dirname(fileURLToPath(import.meta.url));
/** How long quitting waits for the control plane to close its store before leaving anyway. */
const STOP_DEADLINE_MS = 15_000;

const QUIT_MESSAGE = 'Quit Flotilla?';
const QUIT_DETAIL =
  'The control plane inside the app stops: kubectl and the UI cannot reach it until you open Flotilla again. ' +
  'Agents on your machines keep running their pods, and report back when Flotilla starts again.';

let settings: DesktopSettings;
let backend: Backend | undefined;
let mainWindow: BrowserWindow | undefined;
let tray: AppTray | undefined;
let watch: Stoppable | undefined;
/** 'running' → 'stopping' (control plane closing) → 'done' (let Electron quit). */
let phase: 'running' | 'stopping' | 'done' = 'running';
let skipConfirm = false;

function showWindow(): void {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

function sendCommand(command: DesktopCommand): void {
  mainWindow?.webContents.send(IPC_EVENT_COMMAND, command);
}

async function applyManifest(): Promise<void> {
  const options = {
    title: 'Apply Manifest',
    properties: ['openFile' as const],
    filters: [
      { name: 'Kubernetes manifests', extensions: ['yaml', 'yml', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const picked = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options);
  const path = picked.canceled ? undefined : picked.filePaths[0];
  if (!path) return;
  try {
    // The page's Apply view validates, previews (server-side dry run) and applies it.
    sendCommand({ type: 'navigate', path: '/apply' });
    sendCommand({ type: 'open-manifest', file: await readPickedFile(path) });
    showWindow();
  } catch (err) {
    dialog.showErrorBox('Cannot open the manifest', (err as Error).message);
  }
}

async function exportKubeconfigAs(): Promise<void> {
  if (!backend) return;
  const options = { title: 'Export Kubeconfig', defaultPath: 'flotilla-kubeconfig.yaml' };
  const picked = mainWindow
    ? await dialog.showSaveDialog(mainWindow, options)
    : await dialog.showSaveDialog(options);
  if (picked.canceled || !picked.filePath) return;
  try {
    await exportKubeconfig(backend, picked.filePath);
  } catch (err) {
    dialog.showErrorBox('Cannot export the kubeconfig', (err as Error).message);
  }
}

async function switchConnection(next: DesktopSettings['connection']): Promise<void> {
  settings = { ...settings, connection: next };
  await saveSettings(app.getPath('userData'), settings);
  skipConfirm = true;
  app.relaunch();
  app.quit();
}

async function connectRemote(): Promise<void> {
  const options = {
    title: 'Connect to a Remote Flotilla (choose its kubeconfig)',
    properties: ['openFile' as const],
  };
  const picked = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options);
  const path = picked.canceled ? undefined : picked.filePaths[0];
  if (!path) return;
  try {
    const conn = await loadKubeconfig(path);
    const { response } = await dialog.showMessageBox({
      type: 'question',
      buttons: ['Connect and Restart', 'Cancel'],
      defaultId: 0,
      cancelId: 1,
      message: `Connect to ${conn.server}?`,
      detail: `Flotilla restarts and shows that cluster (context "${conn.contextName}"). The built-in control plane stops; its agents keep running their pods.`,
    });
    if (response === 0) await switchConnection({ mode: 'remote', kubeconfigPath: path });
  } catch (err) {
    dialog.showErrorBox('Not a usable kubeconfig', (err as Error).message);
  }
}

function installMenu(mode: Backend['mode']): void {
  const template = buildMenuTemplate({
    platform: process.platform,
    isDev: !app.isPackaged,
    mode,
    actions: {
      applyManifest: () => void applyManifest(),
      exportKubeconfig: () => void exportKubeconfigAs(),
      connectRemote: () => void connectRemote(),
      useLocal: () => void switchConnection({ mode: 'local', port: DEFAULT_LOCAL_PORT }),
      openDocs: () => void shell.openExternal(DOCS_URL),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function start(): Promise<void> {
  // A packaged app keeps the agent bundle among its resources (electron-builder.yml extraResources);
  // enrollment looks there through this variable, as it would for any bundle built elsewhere.
  if (app.isPackaged) process.env.FLOTILLA_AGENT_BUNDLE ??= join(process.resourcesPath, 'agent', 'agent.mjs');
  const userData = app.getPath('userData');
  const loaded = await loadSettings(userData);
  settings = loaded.settings;
  if (loaded.problem) log.warn('settings ignored', { problem: loaded.problem });

  try {
    backend = await startBackend({
      connection: settings.connection,
      // Shared with `flotilla server`'s default, so the CLI and the app see one cluster.
      dataDir: defaultDataDir(),
      uiDistDir: join(app.getAppPath(), 'out', 'renderer'),
      appRoot: app.getAppPath(),
      log,
    });
  } catch (err) {
    const remote = settings.connection.mode === 'remote';
    const { response } = await dialog.showMessageBox({
      type: 'error',
      buttons: remote ? ['Quit', 'Use the Built-in Control Plane'] : ['Quit'],
      defaultId: 0,
      message: remote ? 'Cannot connect to the remote Flotilla' : 'Flotilla cannot start',
      detail: (err as Error).message,
    });
    if (remote && response === 1) return switchConnection({ mode: 'local', port: DEFAULT_LOCAL_PORT });
    skipConfirm = true;
    app.quit();
    return;
  }
  const active = backend;
  log.info('cluster ready', { mode: active.mode, api: active.apiUrl });

  hardenSession({ appOrigin: active.appOrigin, caPem: active.caPem, log });
  const secrets = createSecretStore(userData, safeStorage);
  const notify = (title: string, body: string) => showNotification(title, body, showWindow);
  registerIpcHandlers(
    createIpcHandlers({
      appOrigin: active.appOrigin,
      window: () => mainWindow,
      secrets,
      notify,
      log,
      appInfo: () => ({
        version: app.getVersion(),
        platform: process.platform,
        dataDir: active.dataDir,
        apiUrl: active.apiUrl,
        mode: active.mode,
      }),
    }),
    { appOrigin: active.appOrigin, log },
  );
  installMenu(active.mode);

  mainWindow = createMainWindow({
    appOrigin: active.appOrigin,
    caPem: active.caPem,
    url: active.loginUrl(),
    preloadPath: join(here, '..', 'preload', 'index.cjs'),
    isDev: !app.isPackaged,
    log,
  });
  mainWindow.on('close', (event) => {
    // Closing the window quits (after the same confirmation), except on macOS where apps stay open.
    if (process.platform !== 'darwin' && phase === 'running') {
      event.preventDefault();
      app.quit();
    }
  });
  mainWindow.on('closed', () => (mainWindow = undefined));

  tray = createTray({ show: showWindow, quit: () => app.quit() });
  watch = watchCluster(
    active.api,
    { health: (h) => tray?.update(h), notify: (n) => notify(n.title, n.body) },
    log,
  );
}

async function confirmQuit(): Promise<boolean> {
  if (skipConfirm || !settings?.confirmQuit || backend?.mode !== 'local' || !mainWindow) return true;
  const { response, checkboxChecked } = await dialog.showMessageBox(mainWindow, {
    type: 'question',
    buttons: ['Quit', 'Cancel'],
    defaultId: 0,
    cancelId: 1,
    message: QUIT_MESSAGE,
    detail: QUIT_DETAIL,
    checkboxLabel: 'Do not ask again',
  });
  if (response !== 0) return false;
  if (checkboxChecked) {
    settings = { ...settings, confirmQuit: false };
    await saveSettings(app.getPath('userData'), settings).catch((err: unknown) =>
      log.warn('settings not saved', { err }),
    );
  }
  return true;
}

async function shutdown(): Promise<void> {
  if (!(await confirmQuit())) return;
  phase = 'stopping';
  watch?.stop();
  tray?.destroy();
  const stopping = backend?.stop();
  const deadline = new Promise<'late'>((r) => setTimeout(() => r('late'), STOP_DEADLINE_MS).unref());
  try {
    if ((await Promise.race([stopping, deadline])) === 'late')
      log.warn('control plane did not stop in time; quitting anyway');
  } catch (err) {
    log.error('control plane stopped with an error', { err });
  }
  phase = 'done';
  app.quit();
}

if (!app.requestSingleInstanceLock()) {
  // Another Flotilla owns the control plane and the window; it is told (second-instance) and shows itself.
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('before-quit', (event) => {
    if (phase === 'done') return;
    event.preventDefault();
    if (phase === 'running') void shutdown();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', showWindow);
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      log.error('start-up failed', { err });
      dialog.showErrorBox('Flotilla cannot start', (err as Error).message);
      skipConfirm = true;
      phase = 'done';
      app.quit();
    });
}
