// The web UI end to end, in Debian's Chromium against a real control plane: the one-time login link,
// applying a Deployment + Service through the editor and seeing them listed, an invalid manifest that
// shows its error at the right line and creates nothing, and a screenshot of every main view
// (test-output/screenshots/, git-ignored) with real objects in the cluster.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { createKubeApi } from '../src-main/shared/kube/client';
import { createNodeTransport } from '../src-main/shared/node/https-transport';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { isKubeApiError } from '../src-main/shared/kube/types';
import { readKubeconfig } from '../src-main/control-plane/apiserver/pki/kubeconfig';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { findChromium, launchBrowser } from './support/browser';
import type { TestBrowser } from './support/browser';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';

const chromiumPath = findChromium();
const root = resolve(import.meta.dirname, '..');
const screenshots = join(root, 'test-output', 'screenshots');
const kind = (plural: string): ResourceInfo => RESOURCES.find((r) => r.plural === plural)!;

describe.skipIf(!chromiumPath.path)(
  `web UI in Chromium${chromiumPath.skipReason ? ` (skipped: ${chromiumPath.skipReason})` : ''}`,
  () => {
    let cp: TestControlPlane;
    let browser: TestBrowser;
    let api: KubeApi;
    let transport: NodeTransport;
    let distDir: string;

    beforeAll(async () => {
      // Build the real bundle into a private folder, so the test never serves a stale build.
      distDir = await mkdtemp(join(tmpdir(), 'flotilla-ui-dist-'));
      await build({
        configFile: join(root, 'vite.renderer.config.ts'),
        logLevel: 'warn',
        build: { outDir: distDir, emptyOutDir: true },
      });
      cp = await startTestControlPlane({ uiDistDir: distDir });
      const creds = await readKubeconfig(cp.kubeconfigPath);
      transport = createNodeTransport({
        server: creds.server,
        caPem: creds.caPem,
        certPem: creds.certPem,
        keyPem: creds.keyPem,
      });
      api = createKubeApi(transport);
      browser = await launchBrowser(chromiumPath.path!);
      await mkdir(screenshots, { recursive: true });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      transport?.close();
      await cp?.dispose();
      if (distDir) await rm(distDir, { recursive: true, force: true });
    });

    async function shoot(name: string): Promise<void> {
      await browser.page.screenshot({ path: join(screenshots, `${name}.png`) });
    }

    /** Follows a sidebar link, as a person would. */
    async function nav(name: string): Promise<void> {
      await browser.page.locator('nav[aria-label="Main"]').getByRole('link', { name, exact: true }).click();
    }

    async function setEditorText(text: string): Promise<void> {
      const { page } = browser;
      await page.locator('.cm-content').click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(text);
      // The editor's document is exactly what was typed (no auto-indent surprises).
      await expect
        .poll(async () => (await page.locator('.cm-content').innerText()).length)
        .toBeGreaterThan(0);
    }

    it('signs in with the one-time login link and the link cannot be reused', async () => {
      const { page } = browser;
      const link = cp.loginUrl!();
      await page.goto(link);
      await page.waitForURL(/#\/overview$/);
      await page.getByText('flotilla-admin').waitFor();
      // The token is gone from the address bar, and the header reports a live connection.
      expect(page.url()).not.toContain('token=');
      await page.locator('[data-test="connection-state"]', { hasText: 'Live' }).waitFor();
      // Every navigation entry a person looks for is there, with these exact names.
      const names = await page.locator('nav[aria-label="Main"] a').allInnerTexts();
      expect(names.map((n) => n.trim())).toEqual([
        'Overview',
        'Nodes',
        'Pods',
        'Workloads',
        'Services',
        'Activity',
        'Apply',
        'Machines',
        'Settings',
      ]);
      await page.locator('[data-test="getting-started"]').waitFor();
      await shoot('00-overview-empty');

      // A second tab has no session; the spent link is refused there.
      const second = await browser.context.newPage();
      await second.goto(link);
      await second
        .getByRole('alert')
        .filter({ hasText: /invalid, expired or already used/ })
        .waitFor();
      await second.close();
    });

    it('an invalid manifest shows its errors at the right lines and creates nothing', async () => {
      const { page } = browser;
      await page.goto(`${cp.url}/ui/#/apply`);
      // Object 1 is valid; object 2 has a type error the server's dry run reports at spec.replicas.
      const manifest = [
        'apiVersion: apps/v1', // 1
        'kind: Deployment', // 2
        'metadata:', // 3
        '  name: should-not-exist', // 4
        'spec:', // 5
        '  selector:', // 6
        '    matchLabels: {app: x}', // 7
        '  template:', // 8
        '    metadata:', // 9
        '      labels: {app: x}', // 10
        '    spec:', // 11
        '      containers:', // 12
        '        - name: c', // 13
        '          image: busybox', // 14
        '---', // 15
        'apiVersion: apps/v1', // 16
        'kind: Deployment', // 17
        'metadata:', // 18
        '  name: broken', // 19
        'spec:', // 20
        '  replicas: "two"', // 21
        '  selector:', // 22
        '    matchLabels: {app: y}', // 23
        '  template:', // 24
        '    metadata:', // 25
        '      labels: {app: y}', // 26
        '    spec:', // 27
        '      containers:', // 28
        '        - name: c', // 29
        '          image: busybox', // 30
        '',
      ].join('\n');
      await setEditorText(manifest);
      await page.locator('[data-test="apply"]').click();
      const summary = page.locator('[data-test="apply-summary"]');
      await summary.filter({ hasText: 'Nothing was applied' }).waitFor();
      const problems = page.locator('[data-test="problems"] li');
      await problems.first().waitFor();
      const texts = await problems.allInnerTexts();
      expect(texts.some((t) => t.includes('Line 21') && t.includes('spec.replicas'))).toBe(true);
      // The editor marks the same line.
      await page.locator('.cm-lintRange-error').first().waitFor();
      await shoot('06-apply-invalid');
      for (const name of ['should-not-exist', 'broken']) {
        const err = await api.get(kind('deployments'), name, 'default').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isKubeApiError(err, 404)).toBe(true);
      }

      // A YAML syntax error is caught before anything is sent, at its line.
      await setEditorText('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n');
      await page.locator('[data-test="apply"]').click();
      await summary.filter({ hasText: 'Nothing was sent' }).waitFor();
      const syntax = await page.locator('[data-test="problems"] li').first().innerText();
      expect(syntax).toMatch(/Line (6|7)/);
    });

    it('applies a Deployment and a Service through the editor and lists them', async () => {
      const { page } = browser;
      await page.goto(`${cp.url}/ui/#/apply?sample=web`);
      await page.locator('.cm-content', { hasText: 'hello-web' }).waitFor();
      await page.locator('[data-test="check"]').click();
      await page.locator('[data-test="apply-summary"]', { hasText: 'passed the server' }).waitFor();
      await page.locator('[data-test="apply"]').click();
      await page.locator('[data-test="apply-summary"]', { hasText: 'Applied 2 objects' }).waitFor();
      await page.locator('[data-test="results"]', { hasText: 'Deployment hello-web' }).waitFor();
      await shoot('06-apply');
      const deployment = await api.get<KubeObjectLike & { spec: { replicas: number } }>(
        kind('deployments'),
        'hello-web',
        'default',
      );
      expect(deployment.spec.replicas).toBe(2);

      await nav('Workloads');
      await page.locator('[data-test="deployments-table"]', { hasText: 'hello-web' }).waitFor();
      await nav('Services');
      await page.locator('[data-test="services-table"]', { hasText: 'hello-web' }).waitFor();

      // Applying again changes nothing and says so.
      await page.goto(`${cp.url}/ui/#/apply?sample=web`);
      await page.locator('.cm-content', { hasText: 'hello-web' }).waitFor();
      await page.locator('[data-test="apply"]').click();
      await page.locator('[data-test="apply-summary"]', { hasText: 'Applied 2 objects' }).waitFor();
      await page.locator('[data-test="results"]', { hasText: 'unchanged' }).first().waitFor();
    });

    it('shows live nodes, pods, events and the rest, and every main view renders cleanly', async () => {
      const { page } = browser;
      await seedCluster(api);
      await nav('Overview');
      await page.locator('[data-test="stat-nodes"]', { hasText: '2 / 3 ready' }).waitFor();
      await page.locator('[data-test="latest-activity"]', { hasText: 'Scheduled' }).waitFor();
      await shoot('01-overview');

      await nav('Nodes');
      await page.locator('[data-test="nodes-table"]', { hasText: '10.244.1.0/24' }).waitFor();
      await shoot('02-nodes');

      await nav('Pods');
      const pods = page.locator('[data-test="pods-table"]');
      await pods.locator('text=CrashLoopBackOff').waitFor();
      await pods.locator('text=10.244.1.7').waitFor();
      await shoot('03-pods');
      // Live: a status change in the API shows on screen without reloading.
      await setPodStatus(api, 'web-2', { phase: 'Running', podIP: '10.244.2.9', ready: true });
      await pods.locator('text=10.244.2.9').waitFor({ timeout: 5000 });
      // Search narrows the list.
      await page.getByLabel('Search pods').fill('crash');
      await expect.poll(() => page.locator('[data-test="pod-count"]').innerText()).toBe('1');
      await page.getByLabel('Search pods').fill('');

      await nav('Workloads');
      await page.locator('[data-test="deployments-table"]').waitFor();
      await shoot('04-workloads');
      await nav('Services');
      await page.locator('[data-test="services-table"]').waitFor();
      await shoot('05-services');
      await nav('Activity');
      await page.locator('[data-test="events-table"]', { hasText: 'FailedScheduling' }).waitFor();
      await page.getByLabel('Type').selectOption('Warning');
      await page.locator('[data-test="events-table"]', { hasText: 'BackOff' }).waitFor();
      expect(await page.locator('[data-test="events-table"]').innerText()).not.toContain('Scheduled\n');
      await page.getByLabel('Type').selectOption('');
      await shoot('07-activity');
      await nav('Machines');
      await page.locator('[data-test="machines-empty"]').waitFor();
      await shoot('08-machines');
      await nav('Settings');
      await page.getByRole('heading', { name: 'Appearance' }).waitFor();
      // The Cluster card is live from the published ConfigMap: wait for its values, not just the frame.
      await page.locator('[data-test="cluster-cidr"]', { hasText: '10.244.0.0/16' }).waitFor();
      expect(await page.locator('[data-test="node-timings"]').innerText()).toMatch(
        /NotReady after 20 s.*30 s/s,
      );
      expect(await page.locator('[data-test="data-dir"]').innerText()).toBe(cp.dataDir);
      await page.locator('[data-test="kubectl-command"]', { hasText: `${cp.dataDir}/kubeconfig` }).waitFor();
      await shoot('09-settings');

      // Dark theme (following the OS) on the busiest view.
      await page.emulateMedia({ colorScheme: 'dark' });
      await nav('Pods');
      await page.locator('[data-test="pods-table"]').waitFor();
      await shoot('10-pods-dark');
      await page.emulateMedia({ colorScheme: 'light' });

      // The strict CSP held: no inline script or style was needed anywhere.
      expect(browser.consoleErrors.filter((e) => /Content Security Policy|pageerror/.test(e))).toEqual([]);
    });
  },
);

// ------------------------------------------------------------------------------------ cluster fixtures

function nodeObject(name: string, ip: string, cidr: string, ready: boolean, role?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        ...(role ? { [`node-role.kubernetes.io/${role}`]: '' } : {}),
      },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr] },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '3800m', memory: '7680Mi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'Unknown',
          reason: ready ? 'AgentReady' : 'NodeStatusUnknown',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        operatingSystem: 'linux',
        architecture: 'amd64',
        kubeletVersion: 'v0.1.0-flotilla',
        containerRuntimeVersion: 'docker://24.0.7',
        osImage: 'Debian GNU/Linux 12',
      },
    },
  };
}

function podObject(name: string, node: string | undefined) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: {
      ...(node ? { nodeName: node } : {}),
      containers: [
        { name: 'web', image: 'busybox:latest', resources: { requests: { cpu: '250m', memory: '256Mi' } } },
      ],
    },
  };
}

async function setPodStatus(
  api: KubeApi,
  name: string,
  s: { phase: string; podIP?: string; ready?: boolean; waiting?: string; restarts?: number },
): Promise<void> {
  const pods = kind('pods');
  const pod = await api.get<KubeObjectLike & { status?: unknown }>(pods, name, 'default');
  pod.status = {
    phase: s.phase,
    ...(s.podIP ? { podIP: s.podIP, podIPs: [{ ip: s.podIP }], hostIP: '192.168.50.11' } : {}),
    startTime: new Date().toISOString(),
    conditions: [{ type: 'Ready', status: s.ready ? 'True' : 'False' }],
    containerStatuses: [
      {
        name: 'web',
        image: 'busybox:latest',
        imageID: '',
        ready: s.ready ?? false,
        restartCount: s.restarts ?? 0,
        started: s.ready ?? false,
        state: s.waiting
          ? { waiting: { reason: s.waiting, message: 'back-off 40s restarting failed container' } }
          : s.ready
            ? { running: { startedAt: new Date().toISOString() } }
            : { waiting: { reason: 'ContainerCreating' } },
      },
    ],
  };
  await api.updateStatus(pods, pod);
}

/** Nodes, pods in several states and events, written through the API like agents and controllers would. */
async function seedCluster(api: KubeApi): Promise<void> {
  const nodes = kind('nodes');
  await api.create(nodes, nodeObject('laptop', '192.168.50.10', '10.244.0.0/24', true, 'control-plane'));
  await api.create(nodes, nodeObject('worker-1', '192.168.50.11', '10.244.1.0/24', true));
  await api.create(nodes, nodeObject('worker-2', '192.168.50.12', '10.244.2.0/24', false));
  const pods = kind('pods');
  for (const [name, node] of [
    ['web-1', 'worker-1'],
    ['web-2', 'worker-2'],
    ['api-0', 'laptop'],
    ['crashy', 'worker-1'],
    ['unplaced', undefined],
  ] as const) {
    await api.create(pods, podObject(name, node), 'default');
  }
  await setPodStatus(api, 'web-1', { phase: 'Running', podIP: '10.244.1.7', ready: true });
  await setPodStatus(api, 'api-0', { phase: 'Running', podIP: '10.244.0.4', ready: true });
  await setPodStatus(api, 'web-2', { phase: 'Pending' });
  await setPodStatus(api, 'crashy', {
    phase: 'Running',
    podIP: '10.244.1.8',
    waiting: 'CrashLoopBackOff',
    restarts: 5,
  });

  const events = kind('events');
  const now = Date.now();
  const event = (
    name: string,
    obj: string,
    type: string,
    reason: string,
    message: string,
    component: string,
    agoS: number,
  ) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', name: obj, namespace: 'default', apiVersion: 'v1' },
    type,
    reason,
    message,
    source: { component },
    reportingComponent: component,
    reportingInstance: `${component}-1`,
    firstTimestamp: new Date(now - agoS * 1000).toISOString(),
    lastTimestamp: new Date(now - agoS * 1000).toISOString(),
    count: 1,
  });
  await api.create(
    events,
    event(
      'e1',
      'web-1',
      'Normal',
      'Scheduled',
      'Successfully assigned default/web-1 to worker-1',
      'default-scheduler',
      50,
    ),
    'default',
  );
  await api.create(
    events,
    event(
      'e2',
      'api-0',
      'Normal',
      'Scheduled',
      'Successfully assigned default/api-0 to laptop',
      'default-scheduler',
      40,
    ),
    'default',
  );
  await api.create(
    events,
    event(
      'e3',
      'unplaced',
      'Warning',
      'FailedScheduling',
      '0/3 nodes are available: 1 node(s) were not ready, 2 Insufficient cpu.',
      'default-scheduler',
      30,
    ),
    'default',
  );
  await api.create(
    events,
    event(
      'e4',
      'crashy',
      'Warning',
      'BackOff',
      'Back-off restarting failed container web',
      'flotilla-agent',
      20,
    ),
    'default',
  );
  await api.create(
    events,
    event('e5', 'web-1', 'Normal', 'Started', 'Started container web', 'flotilla-agent', 10),
    'default',
  );
}
