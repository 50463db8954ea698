// Drives the web UI in Debian's Chromium (playwright-core; `npx playwright install` cannot download
// browsers here) against a real control plane, and serves the built UI next to that control plane.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest, createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { bearerToken } from '../../src-main/control-plane/apiserver/auth/authenticator';
import { PKI_DIR, PKI_FILES } from '../../src-main/control-plane/apiserver/pki/ensure';
import { readKubeconfig } from '../../src-main/control-plane/apiserver/pki/kubeconfig';
import { createLoginTokens, createUiHandler } from '../../src-main/control-plane/apiserver/ui';
import type { LoginTokens } from '../../src-main/control-plane/apiserver/ui';
import { requireTool } from './tools';

export const CHROMIUM_PATH = process.env.FLOTILLA_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The Chromium to use, or why the suite is skipped (under CI=true a missing browser throws). */
export function findChromium(): { path?: string; skipReason?: string } {
  return requireTool(CHROMIUM_PATH, 'apt-get install -y chromium');
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors, and CSP violations: a clean run has none. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(executablePath: string, viewport = { width: 1440, height: 900 }): Promise<TestBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'flotilla-chromium-'));
  // A fresh profile per run: no cached assets, session storage or permissions from earlier runs.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    args: CHROMIUM_ARGS,
    // Our cluster CA is not in the browser's trust store; the TLS itself is still real.
    ignoreHTTPSErrors: true,
    viewport,
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  return {
    context,
    page,
    consoleErrors,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface UiGateway {
  /** `https://127.0.0.1:PORT` — the UI is at `${url}/ui/`. */
  url: string;
  login: LoginTokens;
  close(): Promise<void>;
}

/**
 * Serves the UI the way the API server will once the UI handler is mounted in it: on one HTTPS origin,
 * /ui/ from the handler, everything else to the API server. A request carrying a live UI session
 * token reaches the API server as the admin (this gateway holds the admin client certificate, which
 * stands in for `validateSessionToken` in the API server's authenticator); any other request is
 * passed on with its own credentials, so a bad token gets the API server's own 401.
 */
export async function startUiGateway(options: { dataDir: string; kubeconfigPath: string; distDir: string }): Promise<UiGateway> {
  const creds = await readKubeconfig(options.kubeconfigPath);
  if (!creds.certPem || !creds.keyPem) throw new Error('the admin kubeconfig has no client certificate');
  const pki = join(options.dataDir, PKI_DIR);
  const [cert, key] = await Promise.all([
    readFile(join(pki, PKI_FILES.servingCert), 'utf8'),
    readFile(join(pki, PKI_FILES.servingKey), 'utf8'),
  ]);
  const upstream = new URL(creds.server);
  const login = createLoginTokens();
  const ui = createUiHandler({ distDir: options.distDir, login });

  const proxy = (req: IncomingMessage, res: ServerResponse) => {
    const token = bearerToken(req);
    const asAdmin = token !== undefined && login.validateSessionToken(token) !== undefined;
    const headers = { ...req.headers, host: upstream.host };
    if (asAdmin) delete headers.authorization;
    const out = httpsRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        ca: creds.caPem,
        ...(asAdmin ? { cert: creds.certPem, key: creds.keyPem } : {}),
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`gateway: ${err.message}`);
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  };

  const server: Server = createServer({ cert, key }, (req, res) => {
    if (!ui(req, res)) proxy(req, res);
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    login,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
