// The desktop shell's main process as built: `electron-vite build` (main, preload and renderer, with
// the project's config) into a private folder, then the built main bundle runs under plain Node with
// `electron` resolved to a recording test double (tests/fixtures/electron-double, via a module loader
// hook). No Electron binary exists here; everything else is real — the control plane it starts in a
// temp data dir, its HTTPS API, the login link, the IPC handlers, the tray's watch on nodes.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'electron-vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeApi } from '../src-main/shared/kube/client';
import { createNodeTransport } from '../src-main/shared/node/https-transport';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { KubeApi } from '../src-main/shared/kube/types';
import { resourceFor } from '../src-main/shared/resources';
import { loadKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import type { KubeconfigConnection } from '../src-main/control-plane/client/kubeconfig';
import { HEALTH_COLOURS } from '../src-main/app/health';
import { trayIconPngs } from '../src-main/app/tray-icons';
import type { FlotillaDesktopApi, IpcInvokeChannel } from '../src-main/shared/ipc';

const root = resolve(import.meta.dirname, '..');
const registerHook = pathToFileURL(join(root, 'tests/fixtures/electron-double/register.mjs')).href;

interface Record {
  type: string;
  data: { [key: string]: unknown };
}

/** One run of the main bundle under the double: its records, and commands to drive it. */
class MainProcessRun {
  readonly records: Record[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private nextId = 1;
  private replies = new Map<number, (msg: { value?: unknown; error?: string }) => void>();
  private waiters = new Set<() => void>();
  readonly child: ChildProcess;

  constructor(bundle: string, env: NodeJS.ProcessEnv) {
    this.child = fork(bundle, [], {
      execArgv: [`--import=${registerHook}`],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.child.stdout!.resume();
    this.child.on('message', (msg: { kind: string; type?: string; data?: Record['data']; id?: number }) => {
      if (msg.kind === 'record') this.records.push({ type: msg.type!, data: msg.data ?? {} });
      if (msg.kind === 'reply') this.replies.get(msg.id!)?.(msg as { value?: unknown; error?: string });
      this.waiters.forEach((w) => w());
    });
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  all(type: string): Record[] {
    return this.records.filter((r) => r.type === type);
  }

  /** Waits (with a deadline) for a record of `type` that satisfies `test`. */
  waitFor(type: string, test: (r: Record) => boolean = () => true, timeoutMs = 30_000): Promise<Record> {
    return new Promise((res, rej) => {
      const check = () => {
        const found = this.records.find((r) => r.type === type && test(r));
        if (!found) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        res(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        rej(new Error(`no ${type} record within ${timeoutMs} ms; stderr:\n${this.stderr.join('')}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  command<T>(cmd: string, args: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((res, rej) => {
      this.replies.set(id, (msg) => {
        this.replies.delete(id);
        if (msg.error) rej(new Error(msg.error));
        else res(msg.value as T);
      });
      this.child.send({ kind: 'command', id, cmd, args });
    });
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      res(true);
    });
    s.on('error', () => res(false));
  });
}

/** The certificate the server really presents, PEM — what Chromium would hand the verify proc. */
function servedCertificatePem(port: number): Promise<string> {
  return new Promise((res, rej) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const der = s.getPeerCertificate().raw;
      s.destroy();
      res(new X509Certificate(der).toString());
    });
    s.on('error', rej);
  });
}

describe('desktop main process bundle under Node with an Electron test double', () => {
  let work: string;
  let outDir: string;
  let userData: string;
  let xdgData: string;
  let run: MainProcessRun;
  let appUrl: URL;
  let conn: KubeconfigConnection;
  let transport: NodeTransport;
  let api: KubeApi;

  beforeAll(async () => {
    // Inside the repository so the bundle's externalized dependencies resolve from node_modules.
    await mkdir(join(root, 'out'), { recursive: true }); // absent in a fresh clone
    work = await mkdtemp(join(root, 'out', '.test-electron-'));
    outDir = join(work, 'out');
    await build({ configFile: join(root, 'electron.vite.config.ts'), logLevel: 'warn', build: { outDir } });
    userData = await mkdtemp(join(tmpdir(), 'flotilla-userdata-'));
    xdgData = await mkdtemp(join(tmpdir(), 'flotilla-xdg-'));
    // Port 0: a free port, not the default 6443 a developer's own Flotilla may be using.
    await writeFile(
      join(userData, 'settings.json'),
      JSON.stringify({ connection: { mode: 'local', port: 0 } }),
    );
    run = new MainProcessRun(join(outDir, 'main', 'index.js'), {
      DOUBLE_USER_DATA: userData,
      DOUBLE_APP_PATH: work,
      DOUBLE_VERSION: '9.8.7',
      XDG_DATA_HOME: xdgData,
      FLOTILLA_LOG_LEVEL: 'warn',
    });
    const loaded = await run.waitFor('loadURL', () => true, 90_000);
    appUrl = new URL(String(loaded.data.url));
    conn = await loadKubeconfig(join(xdgData, 'flotilla', 'kubeconfig'));
    transport = createNodeTransport(conn);
    api = createKubeApi(transport);
  }, 180_000);

  afterAll(async () => {
    transport?.close();
    if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
    await Promise.all(
      [work, userData, xdgData].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })),
    );
  });

  it('takes the single-instance lock before anything else, then waits for ready', () => {
    const types = run.records.map((r) => r.type);
    expect(types[0]).toBe('singleInstanceLock');
    expect(types.indexOf('whenReady')).toBeGreaterThan(0);
    expect(types.indexOf('BrowserWindow')).toBeGreaterThan(types.indexOf('whenReady'));
  });

  it('starts the control plane in its data folder, answering HTTPS with the cluster CA', async () => {
    expect(appUrl.protocol).toBe('https:');
    expect(appUrl.hostname).toBe('127.0.0.1');
    expect(conn.server).toBe(appUrl.origin);
    const namespaces = await api.list(resourceFor('', 'namespaces'));
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
    expect(existsSync(join(xdgData, 'flotilla', 'state.db'))).toBe(true);
  });

  it('opens exactly one window, sandboxed, isolated, without Node, on a one-time login link', async () => {
    const windows = run.all('BrowserWindow');
    expect(windows).toHaveLength(1);
    const prefs = (windows[0]!.data.options as { webPreferences: { [k: string]: unknown } }).webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    expect(prefs.preload).toBe(join(outDir, 'preload', 'index.cjs'));
    expect(existsSync(String(prefs.preload))).toBe(true);
    expect(run.all('loadURL')).toHaveLength(1);
    expect(`${appUrl.pathname}${appUrl.hash.replace(/\?.*/, '')}`).toBe('/ui/#/login');
    const token = new URLSearchParams(appUrl.hash.split('?')[1]).get('token');
    expect(token).toBeTruthy();
    expect(await run.command('windowCount')).toBe(1);

    // The link is real: the built UI is served with its CSP, and the token buys a session once.
    const ui = await transport.request({ method: 'GET', path: '/ui/', accept: 'text/html' });
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('<div id="app">');
    expect(ui.headers['content-security-policy']).toContain("script-src 'self'");
    const session = await fetchJson(`${appUrl.origin}/ui/session`, { token });
    expect(session.status).toBe(200);
    expect(session.body.sessionToken).toBeTruthy();
    expect((await fetchJson(`${appUrl.origin}/ui/session`, { token })).status).toBe(401);

    async function fetchJson(url: string, body: unknown) {
      const res = await transport.request({
        method: 'POST',
        path: new URL(url).pathname,
        body,
        contentType: 'application/json',
      });
      return { status: res.status, body: res.body as { sessionToken?: string } };
    }
  });

  it('blocks navigation away from the app origin and never opens new windows', async () => {
    expect(await run.command('navigate', { url: `${appUrl.origin}/ui/#/pods` })).toEqual({
      prevented: false,
    });
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'https://127.0.0.1:1/ui/']) {
      expect(await run.command('navigate', { url })).toEqual({ prevented: true });
    }
    expect(await run.command('windowOpen', { url: 'https://kubernetes.io/docs/' })).toEqual({
      action: 'deny',
    });
    await run.waitFor('shell.openExternal', (r) => r.data.url === 'https://kubernetes.io/docs/');
    expect(await run.command('windowOpen', { url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(await run.command('windowOpen', { url: `${appUrl.origin}/ui/` })).toEqual({ action: 'deny' });
    expect(run.all('shell.openExternal')).toHaveLength(1);
  });

  it('denies every permission request and check', async () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      expect(await run.command('permission', { permission })).toEqual({ request: false, check: false });
    }
  });

  it('puts a CSP on app-origin responses and trusts our CA for loopback only', async () => {
    const added = await run.command<{ responseHeaders: { [k: string]: string[] } }>('headers', {
      url: `${appUrl.origin}/api/v1/nodes`,
      responseHeaders: { 'Content-Type': ['application/json'] },
    });
    expect(added.responseHeaders['Content-Security-Policy']![0]).toMatch(
      /default-src 'self'.*object-src 'none'/,
    );
    const elsewhere = await run.command<{ responseHeaders: object }>('headers', {
      url: 'https://example.com/',
      responseHeaders: {},
    });
    expect(elsewhere.responseHeaders).toEqual({});

    const served = await servedCertificatePem(Number(appUrl.port));
    expect(await run.command('verifyCertificate', { hostname: '127.0.0.1', certPem: served })).toBe(0);
    expect(await run.command('verifyCertificate', { hostname: 'example.com', certPem: served })).toBe(-3);
    // Another cluster's CA-signed certificate on loopback is not ours: Chromium decides (and refuses).
    expect(await run.command('verifyCertificate', { hostname: '127.0.0.1', certPem: conn.caPem })).toBe(-3);
  });

  it('installs the native menu with Flotilla’s items and standard roles (no devtools when packaged)', async () => {
    const menu = (await run.waitFor('setApplicationMenu')).data.template as {
      label?: string;
      role?: string;
      submenu?: { id?: string; label?: string; role?: string; accelerator?: string }[];
    }[];
    const file = menu.find((m) => m.label === '&File')!;
    expect(file.submenu!.filter((i) => i.label).map((i) => i.label)).toEqual([
      'Apply Manifest…',
      'Export Kubeconfig…',
      'Connect to Remote Flotilla…',
    ]);
    const roles = menu.flatMap((m) => m.submenu ?? []).map((i) => i.role);
    for (const role of ['quit', 'copy', 'paste', 'undo', 'reload', 'zoomIn', 'resetZoom', 'minimize']) {
      expect(roles).toContain(role);
    }
    expect(roles).not.toContain('toggleDevTools');
    expect(menu.map((m) => m.role ?? m.label)).toEqual(['&File', '&Edit', '&View', 'windowMenu', 'help']);

    // Export Kubeconfig… writes a copy kubectl can use.
    const target = join(userData, 'exported-kubeconfig');
    await run.command('queueDialog', { which: 'save', answer: { canceled: false, filePath: target } });
    await run.command('menuClick', { id: 'export-kubeconfig' });
    await waitUntil(() => existsSync(target));
    expect((await loadKubeconfig(target)).server).toBe(appUrl.origin);

    // Apply Manifest… hands the chosen file to the page's Apply view.
    const manifest = join(userData, 'app.yaml');
    await writeFile(manifest, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-menu\n');
    await run.command('queueDialog', { which: 'open', answer: { canceled: false, filePaths: [manifest] } });
    await run.command('menuClick', { id: 'apply-manifest' });
    const sent = await run.waitFor('webContents.send', (r) =>
      JSON.stringify(r.data).includes('open-manifest'),
    );
    expect(sent.data).toEqual({
      channel: 'desktop:command',
      args: [
        {
          type: 'open-manifest',
          file: { name: 'app.yaml', text: expect.stringContaining('from-menu') as string },
        },
      ],
    });

    await run.command('menuClick', { id: 'docs' });
    await run.waitFor('shell.openExternal', (r) => String(r.data.url).startsWith('https://flotilla.dev/'));
  });

  it('answers the preload API over IPC for the app page only; secrets are stored encrypted', async () => {
    // The built preload, evaluated as Electron's sandbox would: CommonJS with only `electron` to require.
    const exposed: { [name: string]: unknown } = {};
    const code = await readFile(join(outDir, 'preload', 'index.cjs'), 'utf8');
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (name: string, value: unknown) => (exposed[name] = value) },
      ipcRenderer: {
        invoke: (channel: IpcInvokeChannel, ...args: unknown[]) =>
          run.command('ipc', { channel, args, senderUrl: `${appUrl.origin}/ui/#/settings` }),
        on: () => undefined,
        removeListener: () => undefined,
      },
    };
    runInNewContext(code, {
      require: (id: string) => {
        if (id !== 'electron') throw new Error(`the sandboxed preload may not require ${id}`);
        return fakeElectron;
      },
      module: { exports: {} },
      exports: {},
    });
    expect(Object.keys(exposed)).toEqual(['flotilla']);
    const flotilla = exposed.flotilla as FlotillaDesktopApi;
    expect(Object.keys(flotilla).sort()).toEqual([
      'appInfo',
      'notify',
      'onCommand',
      'openFile',
      'saveFile',
      'secrets',
    ]);

    expect(await flotilla.appInfo()).toEqual({
      version: '9.8.7',
      platform: process.platform,
      dataDir: join(xdgData, 'flotilla'),
      apiUrl: appUrl.origin,
      mode: 'local',
    });
    await flotilla.secrets.store('ssh-key/web-1', 'PRIVATE KEY MATERIAL');
    expect(await flotilla.secrets.read('ssh-key/web-1')).toBe('PRIVATE KEY MATERIAL');
    const files = await readdir(join(userData, 'secrets'));
    expect(files).toHaveLength(1);
    expect(await readFile(join(userData, 'secrets', files[0]!), 'utf8')).not.toContain('PRIVATE');
    expect(await flotilla.secrets.delete('ssh-key/web-1')).toBe(true);
    await expect(flotilla.secrets.store('../../etc/passwd', 'x')).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await flotilla.notify('Hello', 'from the page');
    await run.waitFor('notification', (r) => r.data.title === 'Hello');
    await run.command('queueDialog', { which: 'open', answer: { canceled: true, filePaths: [] } });
    expect(await flotilla.openFile([{ name: 'YAML', extensions: ['yaml'] }])).toBeNull();

    // Another origin (a page that somehow got loaded) gets nothing.
    const foreign = await run.command<{ ok: boolean; error?: { code: string } }>('ipc', {
      channel: 'app:info',
      args: [],
      senderUrl: 'https://example.com/',
    });
    expect(foreign).toEqual({
      ok: false,
      error: { code: 'Forbidden', message: expect.any(String) as string },
    });
  });

  it('colours the tray from a watch on nodes and notifies when a node goes NotReady', async () => {
    const png = (level: keyof typeof HEALTH_COLOURS) =>
      trayIconPngs(HEALTH_COLOURS[level])[0]!.png.toString('base64');
    const tray = run.all('Tray')[0]!;
    expect((tray.data.image as { png: string }[])[0]!.png).toBe(png('empty'));
    await run.waitFor('tray.setToolTip', (r) => String(r.data.text).includes('No nodes yet'));

    const nodes = resourceFor('', 'nodes');
    const status = (ready: 'True' | 'False') => ({
      conditions: [
        {
          type: 'Ready',
          status: ready,
          reason: ready === 'True' ? 'KubeletReady' : 'KubeletNotReady',
          message: ready === 'True' ? 'agent is posting ready status' : 'container runtime is down',
          lastHeartbeatTime: new Date().toISOString(),
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    });
    await api.create(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'desk-1' } });
    await api.patch(nodes, 'desk-1', undefined, { status: status('True') }, 'merge', 'status');
    await run.waitFor('tray.setToolTip', (r) => r.data.text === 'Flotilla — All 1 node Ready');
    await run.waitFor('tray.setImage', (r) => (r.data.image as { png: string }[])[0]!.png === png('healthy'));

    await api.patch(nodes, 'desk-1', undefined, { status: status('False') }, 'merge', 'status');
    await run.waitFor(
      'tray.setImage',
      (r) => (r.data.image as { png: string }[])[0]!.png === png('degraded'),
    );
    const note = await run.waitFor('notification', (r) => r.data.title === 'Node desk-1 is NotReady');
    expect(note.data.body).toContain('container runtime is down');
  });

  it('runs the enrollment controller in-process: a docker Machine is reconciled (here: fails with the reason)', async () => {
    const machines = resourceFor('flotilla.dev', 'machines');
    type M = {
      metadata: { finalizers?: string[] };
      status?: { phase?: string; steps?: { name: string; state: string; message?: string }[] };
    };
    await api.create(machines, {
      apiVersion: 'flotilla.dev/v1',
      kind: 'Machine',
      metadata: { name: 'desk-engine' },
      spec: { type: 'docker', docker: { host: 'unix:///nonexistent/flotilla-test.sock' } },
    });
    const deadline = Date.now() + 30_000;
    let m = await api.get<M>(machines, 'desk-engine');
    while (m.status?.phase !== 'Failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      m = await api.get<M>(machines, 'desk-engine');
    }
    expect(m.status?.phase).toBe('Failed');
    expect(m.metadata.finalizers).toContain('flotilla.dev/enrollment');
    expect(m.status?.steps?.find((s) => s.name === 'connect')).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('unix:///nonexistent/flotilla-test.sock does not answer'),
    });
    // Deleting it: the controller (nothing to tear down) drops its finalizer and the Machine goes.
    await api.delete(machines, 'desk-engine');
    const gone = Date.now() + 30_000;
    let present = true;
    while (present && Date.now() < gone) {
      present = await api.get(machines, 'desk-engine').then(
        () => true,
        () => false,
      );
      if (present) await new Promise((r) => setTimeout(r, 100));
    }
    expect(present).toBe(false);
  });

  it('quits cleanly: asks first (saying the agents keep their pods), stops the control plane, closes the port', async () => {
    const port = Number(appUrl.port);
    expect(await portOpen(port)).toBe(true);
    await run.command('quit');
    const ask = await run.waitFor('dialog.showMessageBox');
    expect(String((ask.data.options as { detail: string }).detail)).toMatch(
      /Agents on your machines keep running their pods/,
    );
    await run.waitFor('quit', () => true, 30_000);
    expect(await run.exited).toBe(0);
    expect(await portOpen(port)).toBe(false);
    expect(run.all('tray.destroy')).toHaveLength(1);
  });

  it('a second instance quits at once without starting anything', async () => {
    const second = new MainProcessRun(join(outDir, 'main', 'index.js'), {
      DOUBLE_USER_DATA: userData,
      DOUBLE_APP_PATH: work,
      XDG_DATA_HOME: xdgData,
      DOUBLE_LOCK: 'taken',
    });
    expect(await second.exited).toBe(0);
    expect(second.records.map((r) => r.type)).toEqual(['singleInstanceLock', 'quit-requested', 'quit']);
  });
});

async function waitUntil(test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
