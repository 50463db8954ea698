// The one window and the session rules around it: the page is sandboxed with no Node, may only be
// on the app's own origin, may not open windows or ask for permissions, always has a CSP, and trusts
// the cluster's CA for the loopback API server — and nothing else beyond the OS's roots.
import { BrowserWindow, session, shell } from 'electron';
import type { WebPreferences } from 'electron';
import { externalUrlToOpen, isAllowedNavigation, withContentSecurityPolicy } from './security';
import { verifyCertificate, VERIFY_USE_CHROMIUM } from './trust';
import type { Logger } from '../platform/logger';

export interface MainWindowOptions {
  appOrigin: string;
  /** Trusted for the app origin only; undefined when the origin is plain loopback HTTP. */
  caPem: string | undefined;
  url: string;
  preloadPath: string;
  isDev: boolean;
  log: Logger;
}

/** Exported for the bundle test's expectations to name the same values. */
export function secureWebPreferences(preloadPath: string, isDev: boolean): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    devTools: isDev,
    // There is no `enableRemoteModule`: Electron removed the remote module (v14); nothing to turn off.
  };
}

/** Session-wide rules; call once, before the window loads anything. */
export function hardenSession(options: Pick<MainWindowOptions, 'appOrigin' | 'caPem' | 'log'>): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback) => {
    options.log.debug('permission request denied', { permission });
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: withContentSecurityPolicy(details.url, details.responseHeaders, options.appOrigin),
    });
  });
  const caPem = options.caPem;
  ses.setCertificateVerifyProc((request, callback) => {
    callback(
      caPem
        ? verifyCertificate({ hostname: request.hostname, certPem: request.certificate.data }, { caPem })
        : VERIFY_USE_CHROMIUM,
    );
  });
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 860,
    minHeight: 560,
    show: false,
    title: 'Flotilla',
    backgroundColor: '#101418',
    webPreferences: secureWebPreferences(options.preloadPath, options.isDev),
  });
  const contents = win.webContents;

  contents.setWindowOpenHandler(({ url }) => {
    // Never a second window; http(s) links go to the person's browser instead.
    const external = externalUrlToOpen(url);
    if (external && !isAllowedNavigation(url, options.appOrigin)) void shell.openExternal(external);
    return { action: 'deny' };
  });
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (isAllowedNavigation(url, options.appOrigin)) return;
    event.preventDefault();
    options.log.warn('navigation blocked', { url });
  };
  contents.on('will-navigate', (event) => guard(event, event.url));
  contents.on('will-redirect', (event) => guard(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());

  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.url).catch((err: unknown) => options.log.error('window failed to load', { err }));
  return win;
}
