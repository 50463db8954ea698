// Drives the web UI in Debian's Chromium (playwright-core; `npx playwright install` cannot download
// browsers here) against a real control plane serving the built UI.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
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

export async function launchBrowser(
  executablePath: string,
  viewport = { width: 1440, height: 900 },
): Promise<TestBrowser> {
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
