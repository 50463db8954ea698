// The detail pages of the web UI end to end, in Debian's Chromium against a real control plane with
// its scheduler and controllers: a pod's page (summary, containers, the scheduler's decision, events,
// YAML), its log streamed and its terminal through the API server's pods/log and pods/exec proxy (to
// a scripted agent, tests/support/ui-fake-agent.ts), a node's page with live metrics, cordon and
// drain, a Deployment's page with revisions and scaling, and endpoints linking to their pods.
// Screenshots go to test-output/screenshots/ (git-ignored).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { readKubeconfig } from '../src-main/control-plane/apiserver/pki/kubeconfig';
import { createKubeApi } from '../src-main/shared/kube/client';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { createNodeTransport } from '../src-main/shared/node/https-transport';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { findChromium, launchBrowser } from './support/browser';
import type { TestBrowser } from './support/browser';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { startHollowNodes } from './support/hollow-nodes';
import type { HollowNodes } from './support/hollow-nodes';
import { startFakeAgent } from './support/ui-fake-agent';
import type { FakeAgent } from './support/ui-fake-agent';

const chromiumPath = findChromium();
const root = resolve(import.meta.dirname, '..');
const screenshots = join(root, 'test-output', 'screenshots');
const kind = (plural: string): ResourceInfo => RESOURCES.find((r) => r.plural === plural)!;
const PODS = kind('pods');
const NODES = kind('nodes');

interface NodeObj extends KubeObjectLike {
  spec?: { unschedulable?: boolean };
}
interface PodObj extends KubeObjectLike {
  metadata: { name: string; namespace?: string; uid?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; podIP?: string };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function pod(
  name: string,
  extra: { nodeName?: string; nodeSelector?: Record<string, string>; labels?: Record<string, string> } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: extra.labels ?? { app: name } },
    spec: {
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
      containers: [
        {
          name: 'web',
          image: 'busybox:latest',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        },
      ],
    },
  };
}

describe.skipIf(!chromiumPath.path)(
  `web UI detail pages in Chromium${chromiumPath.skipReason ? ` (skipped: ${chromiumPath.skipReason})` : ''}`,
  () => {
    let cp: TestControlPlane;
    let browser: TestBrowser;
    let api: KubeApi;
    let transport: NodeTransport;
    let distDir: string;
    let agent: FakeAgent;
    let fleet: HollowNodes;

    beforeAll(async () => {
      distDir = await mkdtemp(join(tmpdir(), 'flotilla-ui-dist-'));
      await build({
        configFile: join(root, 'vite.renderer.config.ts'),
        logLevel: 'warn',
        build: { outDir: distDir, emptyOutDir: true },
      });
      cp = await startTestControlPlane({ uiDistDir: distDir, components: true });
      const creds = await readKubeconfig(cp.kubeconfigPath);
      transport = createNodeTransport({
        server: creds.server,
        caPem: creds.caPem,
        certPem: creds.certPem,
        keyPem: creds.keyPem,
      });
      api = createKubeApi(transport);
      agent = await startFakeAgent(cp.dataDir, 'agent-0');
      // Three simulated nodes that heartbeat and report their pods Running; their agent API is the
      // scripted one on loopback (so nothing is ever dialled outside this machine).
      fleet = await startHollowNodes(api, {
        count: 3,
        namePrefix: 'agent-',
        capacity: { cpu: '4', memory: '8Gi', pods: 110 },
        heartbeatSeconds: 5,
      });
      for (const name of fleet.names) {
        await api.patch(
          NODES,
          name,
          undefined,
          {
            status: {
              addresses: [
                { type: 'InternalIP', address: '127.0.0.1' },
                { type: 'Hostname', address: name },
              ],
              daemonEndpoints: { kubeletEndpoint: { Port: agent.port } },
            },
          },
          'merge',
          'status',
        );
      }
      browser = await launchBrowser(chromiumPath.path!);
      await mkdir(screenshots, { recursive: true });
      await browser.page.goto(cp.loginUrl!());
      await browser.page.waitForURL(/#\/overview$/);
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await fleet?.stop();
      await agent?.close();
      transport?.close();
      await cp?.dispose();
      if (distDir) await rm(distDir, { recursive: true, force: true });
    });

    // A failing step leaves a picture of what the page showed.
    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail' && browser)
        await shoot(`failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
    });

    const shoot = (name: string) => browser.page.screenshot({ path: join(screenshots, `${name}.png`) });
    const open = (hash: string) => browser.page.goto(`${cp.url}/ui/#${hash}`);

    it('shows a pod: summary, containers, the scheduling decision with scores, events and YAML', async () => {
      const { page } = browser;
      await api.create(PODS, pod('placed'), 'default');
      const placed = await until('placed scheduled and running', async () => {
        const p = await api.get<PodObj>(PODS, 'placed', 'default');
        return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
      });
      await open('/pods');
      await page
        .locator('[data-test="pods-table"]')
        .getByRole('link', { name: 'placed', exact: true })
        .click();
      await page.locator('[data-test="pod-name"]', { hasText: 'placed' }).waitFor();
      expect(page.url()).toMatch(/#\/pods\/default\/placed$/);
      await page.locator('[data-test="pod-status"]', { hasText: 'Running' }).waitFor();
      const summary = page.locator('[data-test="pod-summary"]');
      await summary.getByText(placed.status!.podIP!).waitFor();
      await summary.getByText('Burstable').waitFor();
      await summary.getByText(placed.spec!.nodeName!).waitFor();
      const containers = page.locator('[data-test="containers"]');
      await containers.getByText('busybox:latest').waitFor();
      await containers.getByText('http: 8080/TCP').waitFor();
      // The scheduler's decision: the chosen node first, then the runners-up it names, with scores.
      const decision = page.locator('[data-test="scheduling-decision"]');
      await decision.getByText(`Placed on ${placed.spec!.nodeName!}`).waitFor();
      const decisionRows = await decision.locator('tbody tr').count();
      expect(decisionRows).toBe(3);
      await decision.locator('tbody tr').first().getByText('chosen').waitFor();
      await page.locator('[data-test="object-events"]', { hasText: 'Scheduled' }).waitFor();
      await shoot('11-pod');

      await page.locator('[data-test="tab-yaml"]').click();
      await page.locator('[data-test="code-view"]', { hasText: 'name: placed' }).waitFor();
      expect(await page.locator('[data-test="code-view"]').innerText()).not.toContain('managedFields');
      await shoot('12-pod-yaml');
    });

    it('explains an unschedulable pod as reasons counted over nodes', async () => {
      const { page } = browser;
      await api.create(PODS, pod('nowhere', { nodeSelector: { disk: 'ssd' } }), 'default');
      await open('/pods/default/nowhere');
      const decision = page.locator('[data-test="scheduling-decision"]');
      await decision.getByText('Unschedulable').waitFor({ timeout: 15_000 });
      await decision.getByText("didn't match Pod's node affinity/selector").waitFor();
      expect(await decision.locator('tbody tr').first().locator('td').first().innerText()).toBe('3');
      await shoot('13-pod-unschedulable');
      // The same decision opens as a table from the activity feed.
      await open('/activity');
      await page.getByLabel('Filter events').fill('nowhere');
      await page.locator('.decision-btn', { hasText: 'FailedScheduling' }).first().click();
      await page.locator('[data-test="activity-decision"]', { hasText: 'Ruled out because' }).waitFor();
      await page.getByLabel('Filter events').fill('placed');
      await page.locator('.decision-btn', { hasText: 'Scheduled' }).first().click();
      await page.locator('[data-test="activity-decision"]', { hasText: 'runner-up' }).waitFor();
      await shoot('14-activity-decision');
    });

    it("streams a container's log through the API server: follow, search with highlight", async () => {
      const { page } = browser;
      await api.create(PODS, pod('logger', { nodeName: 'agent-0' }), 'default');
      await until(
        'logger running',
        async () => (await api.get<PodObj>(PODS, 'logger', 'default')).status?.phase === 'Running',
      );
      await open('/pods/default/logger?tab=logs');
      const body = page.locator('[data-test="log-body"]');
      await body.getByText('web line 40', { exact: false }).waitFor();
      // Following: new lines keep arriving after the first batch.
      await body.getByText('followed line 3', { exact: false }).waitFor({ timeout: 10_000 });
      expect(agent.logRequests.some((r) => r.includes('follow=true') && r.includes('tailLines=500'))).toBe(
        true,
      );
      await page.getByLabel('Search the log').fill('line 4');
      await expect
        .poll(() => page.locator('[data-test="log-matches"]').innerText())
        .toMatch(/\d+ matching lines?/);
      expect(await body.locator('mark').count()).toBeGreaterThan(0);
      await page.getByText('Only matches').click();
      await expect
        .poll(async () =>
          (await body.locator('.log-line').allInnerTexts()).every((t) => t.includes('line 4')),
        )
        .toBe(true);
      await shoot('15-pod-logs');
    });

    it('opens a terminal through pods/exec: echo, resize on channel 4, exit status from channel 3', async () => {
      const { page } = browser;
      await open('/pods/default/logger?tab=terminal');
      await page.locator('[data-test="terminal-status"]', { hasText: 'Connected to web' }).waitFor();
      await until('a resize message', async () => agent.resizes.length > 0);
      const [cols, rows] = agent.resizes.at(-1)!;
      expect(cols).toBeGreaterThan(40);
      expect(rows).toBeGreaterThan(5);
      await page.locator('[data-test="terminal"] .xterm-screen').click();
      await page.keyboard.type('hello there');
      await page.keyboard.press('Enter');
      await page
        .locator('[data-test="terminal"] .xterm-rows', { hasText: 'you said: hello there' })
        .waitFor();
      await shoot('16-pod-terminal');
      await page.keyboard.type('exit 3');
      await page.keyboard.press('Enter');
      await page.locator('[data-test="terminal-status"]', { hasText: 'exited with code 3' }).waitFor();
      // The strict CSP held: xterm's <style> elements carried the page's nonce.
      expect(browser.consoleErrors.filter((e) => /Content Security Policy|pageerror/.test(e))).toEqual([]);
    });

    it('shows a node with live metrics, cordons and uncordons it, and drains another', async () => {
      const { page } = browser;
      await open('/nodes');
      await page
        .locator('[data-test="nodes-table"]')
        .getByRole('link', { name: 'agent-0', exact: true })
        .click();
      await page.locator('[data-test="node-name"]', { hasText: 'agent-0' }).waitFor();
      expect(page.url()).toMatch(/#\/nodes\/agent-0$/);
      await page.locator('[data-test="node-resources"]').waitFor();
      await page.locator('[data-test="node-pods"]', { hasText: 'logger' }).waitFor();
      await page.locator('[data-test="usage-charts"] canvas').first().waitFor({ timeout: 15_000 });
      await shoot('17-node');

      await page.locator('[data-test="cordon"]', { hasText: 'Cordon' }).click();
      await until(
        'agent-0 unschedulable',
        async () => (await api.get<NodeObj>(NODES, 'agent-0')).spec?.unschedulable === true,
      );
      await page.locator('[data-test="node-status"]', { hasText: 'SchedulingDisabled' }).waitFor();
      await page.locator('[data-test="cordoned-notice"]').waitFor();
      await open('/nodes');
      await page
        .locator('[data-test="nodes-table"] tr', { hasText: 'agent-0' })
        .getByText('Ready,SchedulingDisabled')
        .waitFor();
      await shoot('18-nodes-cordoned');
      await open('/nodes/agent-0');
      await page.locator('[data-test="cordon"]', { hasText: 'Uncordon' }).click();
      await until(
        'agent-0 schedulable',
        async () => !(await api.get<NodeObj>(NODES, 'agent-0')).spec?.unschedulable,
      );

      // Drain the node the pod "placed" landed on: it is evicted (deleted: eviction is not served here).
      const target = (await api.get<PodObj>(PODS, 'placed', 'default')).spec!.nodeName!;
      await open(`/nodes/${target}`);
      await page.locator('[data-test="drain"]').click();
      const dialog = page.locator('[data-test="drain-dialog"]');
      await dialog.getByText('default/placed').waitFor();
      await dialog.getByText('not managed by a controller').first().waitFor();
      await shoot('19-node-drain');
      await dialog.locator('[data-test="drain-confirm"]').click();
      await dialog.locator('[data-test="drain-result"]', { hasText: 'Drained' }).waitFor();
      await until('placed gone', async () => {
        const pods = await api.list<PodObj>(PODS, { namespace: 'default' });
        return !pods.items.some(
          (p) =>
            p.metadata.name === 'placed' && !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp,
        );
      });
      expect((await api.get<NodeObj>(NODES, target)).spec?.unschedulable).toBe(true);
      await dialog.getByRole('button', { name: 'Close' }).click();
      await page.locator('[data-test="cordon"]', { hasText: 'Uncordon' }).click();
    });

    it('shows a Deployment with its revisions and pods, scales it, and Services link endpoints to pods', async () => {
      const { page } = browser;
      await api.create(
        kind('deployments'),
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'default' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec: pod('x').spec },
          },
        },
        'default',
      );
      await api.create(
        kind('services'),
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web', namespace: 'default' },
          spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
        },
        'default',
      );
      await open('/workloads');
      await page
        .locator('[data-test="deployments-table"]')
        .getByRole('link', { name: 'web', exact: true })
        .click();
      await page.locator('[data-test="deployment-name"]', { hasText: 'web' }).waitFor();
      expect(page.url()).toMatch(/#\/workloads\/deployments\/default\/web$/);
      await page
        .locator('[data-test="rollout-status"]', { hasText: 'Complete' })
        .waitFor({ timeout: 20_000 });
      await page.locator('[data-test="revisions"] tbody tr').first().getByText('current').waitFor();
      await expect.poll(() => page.locator('[data-test="deployment-pods"] tbody tr').count()).toBe(2);
      await shoot('20-deployment');
      await page.getByRole('button', { name: 'Scale up' }).click();
      await until('3 replicas', async () => {
        const d = await api.get<KubeObjectLike & { spec: { replicas: number } }>(
          kind('deployments'),
          'web',
          'default',
        );
        return d.spec.replicas === 3;
      });
      await expect
        .poll(() => page.locator('[data-test="deployment-pods"] tbody tr').count(), { timeout: 15_000 })
        .toBe(3);

      await open('/services');
      const firstEndpoint = page
        .locator('[data-test="services-table"] tr', { hasText: 'web' })
        .locator('.ep a.mono')
        .first();
      await firstEndpoint.waitFor({ timeout: 15_000 });
      await firstEndpoint.click();
      await page.locator('[data-test="pod-summary"]').waitFor();
      expect(page.url()).toMatch(/#\/pods\/default\/web-/);
    });
  },
);
