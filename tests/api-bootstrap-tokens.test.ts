// TLS bootstrapping end to end, with the real kubectl against a real control plane (controllers on):
// a bootstrap token Secret is created; the agent's own bootstrap code uses the token to request a
// certificate for a key it made itself; the CSR controller approves and signs it and spends the token;
// the signed certificate then acts as the node; the token no longer authenticates. Also: a token bound
// to another node is denied, an expired token gets 401, a token may do nothing but its CSRs, and a
// person's request waits for `kubectl certificate approve`.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapClientCredentials,
  createNodeKeyAndCsr,
  ensureClientCredentials,
} from '../src-main/agent/bootstrap';
import { BootstrapError } from '../src-main/agent/bootstrap';
import { parseAgentSettings } from '../src-main/agent/config';
import { BOOTSTRAP_NODE_ANNOTATION } from '../src-main/shared/bootstrap';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { kubectlRunner } from './support/kubectl';
import { requireTool } from './support/tools';

const tool = requireTool(process.env.FLOTILLA_KUBECTL ?? 'kubectl', 'apt-get install -y kubernetes-client');
const describeKubectl = tool.path ? describe : describe.skip;

let cp: TestControlPlane;
let dir: string;
let caPem: string;

async function kubectl(kubeconfig: string, args: string[], input?: string) {
  return kubectlRunner(tool.path!, kubeconfig)(
    ['--cache-dir', join(dir, 'cache'), ...args],
    input !== undefined ? { input } : {},
  );
}
const admin = (args: string[], input?: string) => kubectl(cp.kubeconfigPath, args, input);
async function ok(args: string[], input?: string): Promise<string> {
  const r = await admin(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tokenSecret(
  id: string,
  secret: string,
  node: string,
  expiration = new Date(Date.now() + 15 * 60_000),
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'bootstrap.kubernetes.io/token',
    metadata: {
      name: `bootstrap-token-${id}`,
      namespace: 'kube-system',
      annotations: { [BOOTSTRAP_NODE_ANNOTATION]: node },
    },
    stringData: {
      'token-id': id,
      'token-secret': secret,
      expiration: expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'usage-bootstrap-authentication': 'true',
    },
  });
}

/** A kubeconfig for the same cluster with other credentials. */
async function kubeconfigFor(name: string, user: Record<string, string>): Promise<string> {
  const file = join(dir, `${name}.kubeconfig`);
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: { server: cp.url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
        },
      ],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return file;
}

async function csrYaml(name: string, node: string): Promise<string> {
  const { csrPem } = await createNodeKeyAndCsr(node);
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(csrPem).toString('base64'),
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'client auth'],
    },
  });
}

describeKubectl(
  `bootstrap tokens and CertificateSigningRequests${tool.path ? '' : ` (skipped: ${tool.skipReason})`}`,
  () => {
    beforeAll(async () => {
      cp = await startTestControlPlane({ components: true });
      dir = await mkdtemp(join(tmpdir(), 'flotilla-bootstrap-'));
      caPem = await readFile(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
    }, 60_000);
    afterAll(async () => {
      await cp?.dispose();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('exchanges a token once for a node certificate made from a key that never left the node', async () => {
      await ok(['create', '-f', '-'], tokenSecret('abcdef', '0123456789abcdef', 'boot-1'));
      const token = 'abcdef.0123456789abcdef';
      const rootDir = join(dir, 'agent-root');
      const settings = parseAgentSettings({
        apiServer: cp.url,
        nodeName: 'boot-1',
        caPem,
        servingCertPem: caPem,
        servingKeyPem: caPem,
        bootstrapToken: token,
        rootDir,
      });
      const config = await ensureClientCredentials(settings, { timeoutMs: 20_000 });
      expect(config.clientCertPem).toContain('BEGIN CERTIFICATE');
      for (const f of ['client.key', 'client.crt'])
        expect((await stat(join(rootDir, 'pki', f))).mode & 0o777).toBe(0o600);

      // kubectl lists it as approved and issued, requested by the token's user.
      const table = await ok(['get', 'csr']);
      expect(table).toMatch(/SIGNERNAME\s+REQUESTOR/);
      expect(table).toMatch(
        /node-csr-boot-1-\S+\s+\S+\s+kubernetes.io\/kube-apiserver-client-kubelet\s+system:bootstrap:abcdef\s+<none>\s+Approved,Issued/,
      );
      const csr = JSON.parse(await ok(['get', 'csr', '-o', 'json'])).items[0];
      expect(csr.spec.groups).toContain('system:bootstrappers');
      expect(csr.status.conditions[0]).toMatchObject({
        type: 'Approved',
        status: 'True',
        reason: 'AutoApproved',
      });
      const events = await ok([
        'get',
        'events',
        '-A',
        '--field-selector',
        `involvedObject.name=${csr.metadata.name}`,
      ]);
      expect(events).toMatch(/Approved/);
      expect(events).toMatch(/Issued/);

      // The certificate acts as the node: it may register itself, and only itself.
      const nodeCfg = await kubeconfigFor('node', {
        'client-certificate-data': Buffer.from(config.clientCertPem).toString('base64'),
        'client-key-data': Buffer.from(config.clientKeyPem).toString('base64'),
      });
      const node = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
      const created = await kubectl(nodeCfg, ['create', '-f', '-'], node('boot-1'));
      expect(created.code, created.stderr).toBe(0);
      const other = await kubectl(nodeCfg, ['create', '-f', '-'], node('boot-2'));
      expect(other.stderr).toMatch(/Forbidden|forbidden/);

      // The token is spent: its Secret is gone and it no longer authenticates.
      await until('the token Secret to be deleted', async () =>
        (await admin(['get', 'secret', '-n', 'kube-system', 'bootstrap-token-abcdef'])).code !== 0
          ? true
          : undefined,
      );
      const tokenCfg = await kubeconfigFor('spent', { token });
      const again = await kubectl(tokenCfg, ['get', 'csr', csr.metadata.name]);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/Unauthorized|provide credentials/);

      // A restart reuses the stored certificate: no token needed.
      const restarted = await ensureClientCredentials({ ...settings, bootstrapToken: undefined });
      expect(restarted.clientCertPem).toBe(config.clientCertPem);
    }, 60_000);

    it('denies a request for another node than the token is bound to, with the reason', async () => {
      await ok(['create', '-f', '-'], tokenSecret('bbbbbb', 'bbbbbbbbbbbbbbbb', 'boot-a'));
      const err = await bootstrapClientCredentials(
        { apiServer: cp.url, caPem, nodeName: 'boot-b' },
        'bbbbbb.bbbbbbbbbbbbbbbb',
        { timeoutMs: 20_000 },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BootstrapError);
      expect((err as BootstrapError).code).toBe('Denied');
      expect((err as BootstrapError).message).toMatch(/NodeNameMismatch.*may only join as node "boot-a"/);
      expect(await ok(['get', 'csr'])).toMatch(/node-csr-boot-b-\S+.*Denied/);
      // A denied attempt does not spend the token.
      expect((await admin(['get', 'secret', '-n', 'kube-system', 'bootstrap-token-bbbbbb'])).code).toBe(0);
    }, 60_000);

    it('answers 401 to an expired or wrong token and 403 to anything but CSRs', async () => {
      await ok(
        ['create', '-f', '-'],
        tokenSecret('cccccc', 'cccccccccccccccc', 'boot-c', new Date(Date.now() - 1000)),
      );
      const expired = await kubectl(await kubeconfigFor('expired', { token: 'cccccc.cccccccccccccccc' }), [
        'get',
        'csr',
        'x',
      ]);
      expect(expired.stderr).toMatch(/Unauthorized|provide credentials/);
      await ok(['create', '-f', '-'], tokenSecret('dddddd', 'dddddddddddddddd', 'boot-d'));
      const wrong = await kubectl(await kubeconfigFor('wrong', { token: 'dddddd.ddddddddddddddde' }), [
        'get',
        'csr',
        'x',
      ]);
      expect(wrong.stderr).toMatch(/Unauthorized|provide credentials/);
      const good = await kubeconfigFor('good', { token: 'dddddd.dddddddddddddddd' });
      expect((await kubectl(good, ['get', 'secrets', '-n', 'kube-system'])).stderr).toMatch(
        /Forbidden|forbidden/,
      );
      expect((await kubectl(good, ['get', 'csr'])).stderr).toMatch(/Forbidden|forbidden/);
      expect((await kubectl(good, ['get', 'nodes'])).stderr).toMatch(/Forbidden|forbidden/);
      // Someone else's request is not readable either.
      const theirs = JSON.parse(await ok(['get', 'csr', '-o', 'json'])).items[0].metadata.name as string;
      expect((await kubectl(good, ['get', 'csr', theirs])).stderr).toMatch(/Forbidden|forbidden/);
    }, 60_000);

    it("leaves a person's request pending until kubectl certificate approve, then issues it", async () => {
      await ok(['create', '-f', '-'], await csrYaml('manual-1', 'boot-m'));
      const pending = await ok(['get', 'csr', 'manual-1']);
      expect(pending).toMatch(/flotilla-admin\s+<none>\s+Pending/);
      await ok(['certificate', 'approve', 'manual-1']);
      const issued = await until('the manual request to be issued', async () => {
        const out = await ok(['get', 'csr', 'manual-1']);
        return /Approved,Issued/.test(out) ? out : undefined;
      });
      expect(issued).toMatch(/manual-1/);
      const cert = await ok(['get', 'csr', 'manual-1', '-o', 'jsonpath={.status.certificate}']);
      expect(Buffer.from(cert, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    }, 60_000);
  },
);
