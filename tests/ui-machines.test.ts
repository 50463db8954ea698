// The Machines page and the add-machine wizard end to end, in Debian's Chromium against `flotilla
// server --ui --host 0.0.0.0` (the command itself, run in this process with the freshly built UI, so
// the enrollment controller and the Docker node watchdog are the real ones):
// - the wizard refuses bad input with field errors and creates nothing;
// - an SSH test host (testbed INSTANCE 7) stops at Pending with its host key fingerprint, is accepted,
//   fails with a wrong key, is fixed and retried with the right key, goes Ready, and is removed;
// - this computer's Docker engine is added and goes Ready;
// - the desktop menu's commands (window.flotilla.onCommand) open a manifest in the Apply view;
// - in the desktop (window.flotilla.secrets), the wizard saves an SSH key in the OS key store and offers it again.
// Screenshots go to test-output/screenshots/ (git-ignored).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { build } from 'vite';
import { readKubeconfig } from '../src-main/control-plane/apiserver/pki/kubeconfig';
import { registerServerCommand } from '../src-main/cli/commands/server';
import { createKubeApi } from '../src-main/shared/kube/client';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { Machine } from '../src-main/shared/machine';
import { createNodeTransport } from '../src-main/shared/node/https-transport';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { findChromium, launchBrowser } from './support/browser';
import type { TestBrowser } from './support/browser';
import { freeLoopbackPort } from './support/flotilla-process';
import { lockLocalEngineNode } from './support/local-engine-node';
import { requireTestbed, testKey, type Testbed } from './support/testbed';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const screenshots = join(root, 'test-output', 'screenshots');
const kind = (plural: string): ResourceInfo => RESOURCES.find((r) => r.plural === plural)!;
const MACHINES = kind('machines');
const NODES = kind('nodes');
const TESTBED_INSTANCE = 7;

const chromium = findChromium();
const { testbed, skipReason: testbedSkip } = chromium.path
  ? await requireTestbed(1, TESTBED_INSTANCE)
  : { testbed: undefined, skipReason: chromium.skipReason };
const skip = chromium.skipReason ?? undefined;

type MachineObject = Machine & KubeObjectLike;

/** `flotilla server` in this process: resolves once it listens; stop() sends it SIGTERM. */
async function startServer(dataDir: string, uiDistDir: string) {
  const port = await freeLoopbackPort();
  const handlers = new Map<string, (s: 'SIGTERM' | 'SIGINT') => void>();
  let out = '';
  let onOut: () => void = () => undefined;
  let exitCode: number | undefined;
  const exited = new Promise<number>((resolveExit) => {
    const program = new Command().exitOverride();
    registerServerCommand(program, {
      uiDistDir: () => uiDistDir,
      stdout: (text) => {
        out += text;
        onOut();
      },
      signals: {
        on: (s, l) => handlers.set(s, l),
        off: (s) => handlers.delete(s),
      },
      exit: (code) => {
        exitCode = code;
        resolveExit(code);
      },
    });
    program
      .parseAsync([
        'node',
        'flotilla',
        'server',
        '--data-dir',
        dataDir,
        '--host',
        '0.0.0.0',
        '--port',
        String(port),
        '--ui',
        '--log-level',
        process.env.FLOTILLA_TEST_LOG === 'debug' ? 'debug' : 'warn',
      ])
      .catch((err: unknown) => {
        out += `\n${String(err)}`;
        resolveExit(1);
      });
  });
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`flotilla server did not start:\n${out}`)), 90_000);
    onOut = () => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        ready();
      }
    };
    void exited.then(() => fail(new Error(`flotilla server exited (${exitCode}):\n${out}`)));
  });
  const loginUrl = /https:\/\/\S+#\/login\?token=\S+/.exec(out)?.[0];
  if (!loginUrl) throw new Error(`no login link in:\n${out}`);
  return {
    port,
    loginUrl,
    url: `https://127.0.0.1:${port}`,
    async stop() {
      handlers.get('SIGTERM')?.('SIGTERM');
      return exited;
    },
  };
}

async function waitGone(api: KubeApi, r: ResourceInfo, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await api.get(r, name);
    } catch (err) {
      if (isKubeApiError(err, 404)) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`${r.plural}/${name} still exists after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!!skip)(
  `Machines page and add-machine wizard in Chromium${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let dataDir: string;
    let distDir: string;
    let server: Awaited<ReturnType<typeof startServer>>;
    let browser: TestBrowser;
    let api: KubeApi;
    let transport: NodeTransport;
    const created: string[] = [];
    let releaseEngine: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      distDir = await mkdtemp(join(tmpdir(), 'flotilla-ui-dist-'));
      await build({
        configFile: join(root, 'vite.renderer.config.ts'),
        logLevel: 'warn',
        build: { outDir: distDir, emptyOutDir: true },
      });
      dataDir = await mkdtemp(join(tmpdir(), 'flotilla-ui-machines-'));
      server = await startServer(dataDir, distDir);
      const creds = await readKubeconfig(join(dataDir, 'kubeconfig'));
      transport = createNodeTransport({
        server: creds.server,
        caPem: creds.caPem,
        certPem: creds.certPem,
        keyPem: creds.keyPem,
      });
      api = createKubeApi(transport);
      browser = await launchBrowser(chromium.path!);
      await mkdir(screenshots, { recursive: true });
    }, 240_000);

    afterAll(async () => {
      // Leave the shared test host and Docker engine clean even after a failure half-way.
      for (const name of created) {
        await api?.delete(MACHINES, name).catch(() => undefined);
        await waitGone(api, MACHINES, name, 120_000).catch((err: unknown) => console.warn(String(err)));
      }
      await releaseEngine?.();
      await browser?.close();
      transport?.close();
      await server?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      if (distDir) await rm(distDir, { recursive: true, force: true });
    }, 300_000);

    async function shoot(name: string, page = browser.page): Promise<void> {
      await page.screenshot({ path: join(screenshots, `${name}.png`) });
    }

    /**
     * Loads the app and waits for `ready`, with its stylesheets applied. Chromium aborts requests in
     * flight with ERR_NETWORK_CHANGED when network interfaces come and go — which they do on this shared
     * machine (other suites' test hosts and containers) — so a load that failed that way is reloaded.
     */
    async function openApp(url: string, ready: () => Promise<unknown>, page = browser.page): Promise<void> {
      for (let attempt = 0; ; attempt++) {
        const seen = browser.consoleErrors.length;
        try {
          // After an aborted load the page may sit on Chromium's error page (or be between
          // documents), which cannot be reloaded into the app: load the address again instead.
          if (attempt === 0 || page.url().startsWith('chrome-error:')) await page.goto(url);
          else await page.reload();
          await ready();
          // A page without its stylesheets is readable, but it is not the product.
          await expect
            .poll(() => page.evaluate<string>('getComputedStyle(document.body).backgroundColor'), {
              timeout: 5000,
            })
            .toBe('rgb(246, 247, 249)');
          return;
        } catch (err) {
          const networkChanged =
            /ERR_NETWORK_CHANGED|Not attached to an active page/.test(String(err)) ||
            browser.consoleErrors.slice(seen).some((e) => e.includes('ERR_NETWORK_CHANGED'));
          if (!networkChanged || attempt >= 3) throw err;
          await page.waitForLoadState().catch(() => undefined);
        }
      }
    }

    /** Waits for the wizard to end: done, or failed (then fails with the reason it shows). */
    async function finished(timeout: number): Promise<void> {
      const { page } = browser;
      await page
        .locator('[data-test="wizard-done"], [data-test="wizard-failure"]')
        .first()
        .waitFor({ timeout });
      if (await page.locator('[data-test="wizard-failure"]').isVisible())
        throw new Error(
          `enrollment failed: ${await page.locator('[data-test="failure-reason"]').innerText()}`,
        );
    }

    async function nav(name: string): Promise<void> {
      await browser.page.locator('nav[aria-label="Main"]').getByRole('link', { name, exact: true }).click();
    }

    it('signs in; an empty cluster leads to the wizard, which checks every field before creating anything', async () => {
      const { page } = browser;
      onTestFailed(async () => {
        await shoot('login-failure-debug');
        console.warn(
          `url ${page.url()}\n${(await page.content()).slice(0, 3000)}\n${browser.consoleErrors.join('\n')}`,
        );
      });
      await openApp(server.loginUrl, () => page.waitForURL(/#\/overview$/, { timeout: 15_000 }));
      await nav('Machines');
      await page.locator('[data-test="machines-empty"]').waitFor();
      await shoot('40-machines-empty');
      // The Nodes page's empty state leads to the same wizard, Docker chosen.
      await nav('Nodes');
      await page.locator('[data-test="add-docker"]').click();
      await page.waitForURL(/#\/machines\/add\?type=docker$/);
      await page.locator('[data-test="wizard-title"]', { hasText: "Add this computer's Docker" }).waitFor();
      await nav('Machines');

      await page.locator('[data-test="add-machine"]').click();
      await page.waitForURL(/#\/machines\/add$/);
      await page.locator('[data-test="choose-ssh"]').waitFor();
      await shoot('41-add-machine-choose');
      await page.locator('[data-test="choose-ssh"]').click();

      // Nothing filled in: the errors name the fields; then the usual mistakes.
      await page.locator('[data-test="submit-machine"]').click();
      await page.locator('[data-field-error="f-address"]').waitFor();
      await page.locator('[data-field-error="f-privateKey"]').waitFor();
      await page.locator('#f-address').fill('root@10.77.7.2');
      await page.locator('#f-port').fill('222222');
      await page.locator('#f-privateKey').fill('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ me@laptop');
      await page.locator('#f-labels').fill('zone');
      await page.locator('[data-field-error="f-address"]', { hasText: 'User field' }).waitFor();
      await page.locator('[data-field-error="f-port"]', { hasText: '65535' }).waitFor();
      await page.locator('[data-field-error="f-privateKey"]', { hasText: 'public key' }).waitFor();
      await page.locator('[data-field-error="f-labels"]', { hasText: 'key=value' }).waitFor();
      await shoot('42-add-machine-field-errors');
      expect((await api.list(MACHINES)).items).toEqual([]);
      expect((await api.list(kind('secrets'), { namespace: 'default' })).items).toEqual([]);
    });

    it.skipIf(!!testbedSkip)(
      `an SSH machine: Pending with its fingerprint, accepted, fails on a wrong key, is fixed, Ready, removed${testbedSkip ? ` (skipped: ${testbedSkip})` : ''}`,
      async () => {
        const { page } = browser;
        const vm = (testbed as Testbed).hosts[0]!;
        const name = 'tb7-vm1';
        created.push(name);
        onTestFailed(() => shoot('ssh-failure-debug'));
        // A key the host does not accept, to see a failure and its fix.
        const wrongKeyFile = join(dataDir, 'wrong-key');
        await run('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', wrongKeyFile]);
        const wrongKey = await readFile(wrongKeyFile, 'utf8');

        await page.goto(`${server.url}/ui/#/machines/add?type=ssh`);
        await page.locator('#f-address').fill(vm.ip);
        await page.locator('#f-port').fill(String(vm.sshPort));
        await page.locator('#f-user').fill('root');
        await page.locator('#f-privateKey').fill(wrongKey);
        // The name follows the address until typed over.
        await expect.poll(() => page.locator('#f-name').inputValue()).toBe(vm.ip);
        await page.locator('#f-name').fill(name);
        await page.locator('#f-labels').fill('zone=lab');
        await page.locator('[data-test="submit-machine"]').click();

        // First contact: the fingerprint the host presented, to accept.
        const fingerprint = page.locator('[data-test="host-key-fingerprint"]');
        await fingerprint.waitFor({ timeout: 60_000 });
        expect((await fingerprint.innerText()).trim()).toBe(vm.hostKeyFingerprint);
        await shoot('43-add-machine-host-key');
        const secret = await api.get<KubeObjectLike & { type: string }>(
          kind('secrets'),
          `machine-${name}-ssh`,
          'default',
        );
        expect(secret.type).toBe('kubernetes.io/ssh-auth');
        await page.locator('[data-test="accept-host-key"]').click();

        // The key is refused: the reason is shown, with a way to fix it.
        const failure = page.locator('[data-test="wizard-failure"]');
        await failure.waitFor({ timeout: 60_000 });
        expect(await failure.innerText()).toMatch(/authenticat|key|denied/i);
        const accepted = await api.get<MachineObject>(MACHINES, name);
        expect(accepted.spec.ssh?.hostKeyFingerprint).toBe(vm.hostKeyFingerprint);
        await shoot('44-add-machine-failed');

        await page.locator('[data-test="fix-retry"]').click();
        await page.locator('[data-test="machine-form"]').waitFor();
        expect(await page.locator('#f-address').inputValue()).toBe(vm.ip);
        await page.locator('#f-privateKey').fill(testKey(testbed as Testbed));
        await shoot('45-add-machine-retry');
        await page.locator('[data-test="submit-machine"]').click();

        await finished(150_000);
        await page
          .locator('[data-test="wizard-done"] .badge', { hasText: 'Ready' })
          .waitFor({ timeout: 30_000 });
        for (const step of [
          'connect',
          'verify-host-key',
          'preflight',
          'push-agent',
          'start-agent',
          'wait-ready',
        ])
          expect(await page.locator(`[data-step="${step}"]`).getAttribute('data-state')).toBe('done');
        await shoot('46-add-machine-ready');
        const node = await api.get<KubeObjectLike & { metadata: { labels?: Record<string, string> } }>(
          NODES,
          name,
        );
        expect(node.metadata.labels?.zone).toBe('lab');
        // Only the current Secret is left, owned by the Machine.
        const secrets = (await api.list<KubeObjectLike>(kind('secrets'), { namespace: 'default' })).items;
        expect(secrets.map((s) => s.metadata?.name)).toEqual([
          (await api.get<MachineObject>(MACHINES, name)).spec.ssh?.privateKeySecretRef?.name,
        ]);

        // The table: type, address, phase and the node's own state, live.
        await nav('Machines');
        const tableRow = page.locator(`[data-test="machines-table"] tr[data-machine="${name}"]`);
        await tableRow.locator('[data-test="node-state"]', { hasText: 'Ready' }).waitFor();
        expect(await tableRow.innerText()).toContain(`root@${vm.ip}`);
        await shoot('47-machines');

        // The detail: steps, conditions and events; removal says what it does first.
        await tableRow.locator(`a[href="#/machines/${name}"]`).click();
        await page.locator('[data-test="machine-conditions"]').waitFor();
        await page
          .locator('[data-test="object-events"]', { hasText: 'Enrolled' })
          .waitFor({ timeout: 15_000 });
        await shoot('48-machine-detail');
        await page.locator('[data-test="remove-machine"]').click();
        const dialog = page.locator('[data-test="remove-dialog"]');
        expect(await dialog.innerText()).toMatch(/drained[\s\S]*uninstalled/);
        await shoot('49-machine-remove');
        await page.locator('[data-test="remove-confirm"]').click();
        await page.locator('[data-test="machine-gone"]').waitFor({ timeout: 120_000 });
        await waitGone(api, NODES, name, 30_000);
        created.splice(created.indexOf(name), 1);
      },
      360_000,
    );

    it("this computer's Docker engine through the wizard: the node goes Ready", async () => {
      const { page } = browser;
      // Unique: the Docker engine is shared with other runs.
      const name = `ui-local-${process.pid}`;
      // The engine is one node at a time: take turns with the other suites that make it one.
      releaseEngine = await lockLocalEngineNode('tests/ui-machines.test.ts');
      created.push(name);
      onTestFailed(() => shoot('docker-failure-debug'));
      await nav('Machines');
      await page.locator('[data-test="add-machine"]').click();
      await page.locator('[data-test="choose-docker"]').click();
      await page.locator('[data-test="machine-form"]').waitFor();
      await page.locator('#f-name').fill(name);
      await page.locator('[data-test="submit-machine"]').click();
      await page.locator('[data-test="machine-steps"]').waitFor();
      await finished(150_000);
      await page
        .locator('[data-test="wizard-done"] .badge', { hasText: 'Ready' })
        .waitFor({ timeout: 150_000 });
      await shoot('50-add-docker-ready');
      await nav('Machines');
      await page
        .locator(`[data-test="machines-table"] tr[data-machine="${name}"] [data-test="node-state"]`, {
          hasText: 'Ready',
        })
        .waitFor();
    }, 600_000);

    it('acts on the desktop menu: Apply Manifest… opens the file in the Apply view', async () => {
      // A second tab carrying this session and a window.flotilla double, as the preload provides it.
      const session = await browser.page.evaluate<string | null>(
        "sessionStorage.getItem('flotilla.session')",
      );
      const tab = await browser.context.newPage();
      await tab.addInitScript({
        content: `
        sessionStorage.setItem('flotilla.session', ${JSON.stringify(session)});
        const listeners = new Set();
        window.flotilla = {
          onCommand(listener) {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
        };
        window.sendCommand = (command) => listeners.forEach((l) => l(command));
      `,
      });
      await openApp(
        `${server.url}/ui/#/overview`,
        () => tab.locator('[data-test="connection-state"]', { hasText: 'Live' }).waitFor({ timeout: 15_000 }),
        tab,
      );
      // What src-main/app/main.ts sends after the native open dialog.
      const file = {
        name: 'from-menu.yaml',
        text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-menu\n',
      };
      await tab.evaluate(`window.sendCommand({ type: 'navigate', path: '/apply' });
      window.sendCommand({ type: 'open-manifest', file: ${JSON.stringify(file)} });`);
      await tab.waitForURL(/#\/apply$/);
      await tab.locator('.cm-content', { hasText: 'from-menu' }).waitFor();
      await tab.locator('[data-test="opened-file"]', { hasText: 'from-menu.yaml' }).waitFor();
      await tab.close();
      expect(browser.consoleErrors.filter((e) => /Content Security Policy|pageerror/.test(e))).toEqual([]);
    });

    it('in the desktop, the wizard remembers an SSH key in the OS key store and offers it again', async () => {
      // In a browser there is no key store, so neither control appears.
      const { page } = browser;
      await openApp(`${server.url}/ui/#/machines/add?type=ssh`, () =>
        page.locator('#f-privateKey').waitFor({ timeout: 15_000 }),
      );
      expect(await page.locator('[data-test="remember-key"], [data-test="saved-key"]').count()).toBe(0);

      // The desktop: window.flotilla with a key store and a key file to open, as the preload gives them.
      const session = await page.evaluate<string | null>("sessionStorage.getItem('flotilla.session')");
      const { stdout: keyText } = await run('sh', [
        '-c',
        `f=$(mktemp -u); ssh-keygen -t ed25519 -N '' -q -f "$f" && cat "$f" && rm -f "$f" "$f.pub"`,
      ]);
      const tab = await browser.context.newPage();
      await tab.addInitScript({
        content: `
        sessionStorage.setItem('flotilla.session', ${JSON.stringify(session)});
        window.savedSecrets = new Map();
        window.flotilla = {
          onCommand: () => () => undefined,
          openFile: async () => ({ name: 'id_ed25519', text: ${JSON.stringify(keyText)} }),
          secrets: {
            store: async (k, v) => void window.savedSecrets.set(k, v),
            read: async (k) => window.savedSecrets.get(k) ?? null,
            delete: async (k) => window.savedSecrets.delete(k),
          },
        };
      `,
      });
      const secrets = () => tab.evaluate<Record<string, string>>('Object.fromEntries(window.savedSecrets)');
      await openApp(
        `${server.url}/ui/#/machines/add?type=ssh`,
        () => tab.locator('#f-privateKey').waitFor({ timeout: 15_000 }),
        tab,
      );
      expect(await tab.locator('[data-test="saved-key"]').count()).toBe(0); // nothing saved yet

      // A machine nothing answers for (a free loopback port): enrollment fails fast, the key is what matters.
      const name = 'keystore-test';
      created.push(name);
      await tab.locator('#f-address').fill('127.0.0.1');
      await tab.locator('#f-port').fill(String(await freeLoopbackPort()));
      await tab.locator('#f-name').fill(name);
      await tab.locator('[data-test="open-key"]').click();
      await expect.poll(() => tab.locator('#f-privateKey').inputValue()).toBe(keyText);
      await tab.locator('[data-test="remember-key"]').check();
      expect(await tab.locator('#f-keyName').inputValue()).toBe('id_ed25519'); // named after its file
      await shoot('51-add-machine-remember-key', tab);
      await tab.locator('[data-test="submit-machine"]').click();
      await tab
        .locator('[data-test="key-store-notice"]', { hasText: 'Saved the key as "id_ed25519"' })
        .waitFor();
      expect(await secrets()).toEqual({
        'ssh-keys/index': JSON.stringify(['id_ed25519']),
        'ssh-key/id_ed25519': `${keyText.trim()}\n`,
      });

      // Next time: the saved key is offered, fills the field, and can be removed from the store.
      await tab.evaluate("location.hash = '#/machines'");
      await tab.locator('[data-test="add-machine"]').click();
      await tab.locator('[data-test="choose-ssh"]').click();
      const choice = tab.locator('[data-test="saved-key"]');
      await choice.waitFor();
      expect(await choice.locator('option').allInnerTexts()).toEqual(['Use a saved key…', 'id_ed25519']);
      await choice.selectOption('id_ed25519');
      await expect.poll(() => tab.locator('#f-privateKey').inputValue()).toBe(`${keyText.trim()}\n`);
      await tab.locator('[data-test="from-saved-key"]', { hasText: 'id_ed25519' }).waitFor();
      expect(await tab.locator('[data-test="remember-key"]').count()).toBe(0); // saved already
      await shoot('52-add-machine-saved-key', tab);
      await tab.locator('[data-test="from-saved-key"] button').click();
      await tab
        .locator('[data-test="key-store-notice"]', { hasText: 'Removed the key "id_ed25519"' })
        .waitFor();
      await choice.waitFor({ state: 'detached' });
      expect(await secrets()).toEqual({ 'ssh-keys/index': '[]' });
      await tab.close();

      await api.delete(MACHINES, name);
      await waitGone(api, MACHINES, name, 60_000);
      created.splice(created.indexOf(name), 1);
      expect(browser.consoleErrors.filter((e) => /Content Security Policy|pageerror/.test(e))).toEqual([]);
    }, 120_000);
  },
);
