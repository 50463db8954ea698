// The real kubectl against a real Flotilla control plane, checked the way a user checks it: by what
// kubectl prints and what it reads back. Nothing runs pods in this suite (no scheduler, controllers
// or agents), so it exercises the API: apply, get in every form, watch, describe, edit, scale,
// label, annotate, patch, delete, three-way merge, dry-run, discovery and explain.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { kubectlRunner } from './support/kubectl';
import type { KubectlResult } from './support/kubectl';
import { startKubectl } from './support/kubectl-stream';
import { requireTool } from './support/tools';

// Objects as the API returns them: arbitrary nested JSON that the assertions walk into.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const FIXTURES = fileURLToPath(new URL('./fixtures/api/', import.meta.url));
const tool = requireTool(process.env.FLOTILLA_KUBECTL ?? 'kubectl', 'apt-get install -y kubernetes-client');

let cp: TestControlPlane;
let cacheDir: string;
let run: ReturnType<typeof kubectlRunner>;

/** kubectl with its discovery cache in a fresh dir, so no earlier server's answers are reused. */
function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return run(['--cache-dir', cacheDir, ...args], input !== undefined ? { input } : {});
}

/** Runs kubectl and expects success; returns stdout. */
async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs kubectl and expects it to fail; returns stderr. */
async function fails(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code === 0) throw new Error(`kubectl ${args.join(' ')} unexpectedly succeeded:\n${r.stdout}`);
  return r.stderr;
}

async function json<T = Json>(args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, '-o', 'json'])) as T;
}

/**
 * Parses kubectl's table output by the header's column positions (cells are left-aligned under their
 * header; an empty cell is only spaces, and headers such as `NOMINATED NODE` contain one space).
 */
function parseTable(out: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const headerLine = lines[0] ?? '';
  const starts: number[] = [];
  const header: string[] = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(headerLine); m; m = re.exec(headerLine)) {
    starts.push(m.index);
    header.push(m[0]);
  }
  const rows = lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    header.forEach((h, i) => {
      row[h] = line.slice(starts[i], starts[i + 1]).trim();
    });
    return row;
  });
  return { header, rows };
}

const describeKubectl = tool.path ? describe : describe.skip;
const suiteName = tool.path
  ? 'kubectl against flotilla'
  : `kubectl against flotilla (skipped: ${tool.skipReason})`;

describeKubectl(suiteName, () => {
  beforeAll(async () => {
    cp = await startTestControlPlane();
    cacheDir = await mkdtemp(join(tmpdir(), 'flotilla-kubectl-cache-'));
    run = kubectlRunner(tool.path!, cp.kubeconfigPath);
  });
  afterAll(async () => {
    await cp?.dispose();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  describe('apply -f of a multi-document manifest', () => {
    it('creates the Namespace, ConfigMap, Secret, Deployment and Service', async () => {
      const out = await ok(['apply', '-f', join(FIXTURES, 'app.yaml')]);
      expect(out.trim().split('\n')).toEqual([
        'namespace/kubectl-demo created',
        'configmap/web-config created',
        'secret/web-secret created',
        'deployment.apps/web created',
        'service/web created',
      ]);
      const secret = await json(['get', 'secret', 'web-secret', '-n', 'kubectl-demo']);
      // stringData is write-only: stored base64-encoded in data.
      expect(secret.data).toEqual({ password: Buffer.from('s3cret').toString('base64') });
      expect(secret.stringData).toBeUndefined();
    });

    it('applying the same file again changes nothing', async () => {
      const before = await json(['get', 'deployment', 'web', '-n', 'kubectl-demo']);
      const secretBefore = await json(['get', 'secret', 'web-secret', '-n', 'kubectl-demo']);
      const out = await ok(['apply', '-f', join(FIXTURES, 'app.yaml')]);
      expect(out.trim().split('\n')).toEqual([
        'namespace/kubectl-demo unchanged',
        'configmap/web-config unchanged',
        // kubectl always sends stringData again (the live object never has it), as with Kubernetes.
        'secret/web-secret configured',
        'deployment.apps/web unchanged',
        'service/web unchanged',
      ]);
      const after = await json(['get', 'deployment', 'web', '-n', 'kubectl-demo']);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      // ...but the patch leaves the stored Secret as it was, so nothing is written.
      const secretAfter = await json(['get', 'secret', 'web-secret', '-n', 'kubectl-demo']);
      expect(secretAfter.metadata.resourceVersion).toBe(secretBefore.metadata.resourceVersion);
    });
  });

  describe('server information', () => {
    it('version shows the client and the server', async () => {
      const out = await ok(['version']);
      expect(out).toMatch(/^Client Version: v1\.\d+/m);
      expect(out).toMatch(/^Server Version: v1\.32\.\d+/m);
      const v = JSON.parse(await ok(['version', '-o', 'json'])) as { serverVersion: Record<string, string> };
      expect(v.serverVersion).toMatchObject({ major: '1', minor: '32' });
      expect(v.serverVersion.gitVersion).toMatch(/^v1\.32\./);
      expect(v.serverVersion.platform).toMatch(/^linux\//);
    });

    it('get --raw /healthz and /version', async () => {
      expect(await ok(['get', '--raw', '/healthz'])).toBe('ok');
      expect(await ok(['get', '--raw', '/livez'])).toBe('ok');
      expect(await ok(['get', '--raw', '/readyz'])).toBe('ok');
      const version = JSON.parse(await ok(['get', '--raw', '/version'])) as Record<string, string>;
      expect(version.gitVersion).toMatch(/^v1\.32\./);
      const pods = JSON.parse(await ok(['get', '--raw', '/api/v1/namespaces/kubectl-demo/configmaps'])) as {
        kind: string;
        items: unknown[];
      };
      expect(pods.kind).toBe('ConfigMapList');
      expect(pods.items).toHaveLength(1);
    });

    it('api-resources lists the served kinds with their short names', async () => {
      const { header, rows } = parseTable(await ok(['api-resources']));
      expect(header).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      const byName = new Map(rows.map((r) => [`${r.NAME} ${r.APIVERSION}`, r]));
      const expected: [string, string, string, string, string][] = [
        ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
        ['endpoints', 'ep', 'v1', 'true', 'Endpoints'],
        ['events', 'ev', 'v1', 'true', 'Event'],
        ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
        ['nodes', 'no', 'v1', 'false', 'Node'],
        ['pods', 'po', 'v1', 'true', 'Pod'],
        ['secrets', '', 'v1', 'true', 'Secret'],
        ['serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount'],
        ['services', 'svc', 'v1', 'true', 'Service'],
        ['daemonsets', 'ds', 'apps/v1', 'true', 'DaemonSet'],
        ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
        ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
        ['certificatesigningrequests', 'csr', 'certificates.k8s.io/v1', 'false', 'CertificateSigningRequest'],
        ['leases', '', 'coordination.k8s.io/v1', 'true', 'Lease'],
        ['endpointslices', '', 'discovery.k8s.io/v1', 'true', 'EndpointSlice'],
        ['machines', 'mach', 'flotilla.dev/v1', 'false', 'Machine'],
        ['nodes', '', 'metrics.k8s.io/v1beta1', 'false', 'NodeMetrics'],
        ['pods', '', 'metrics.k8s.io/v1beta1', 'true', 'PodMetrics'],
      ];
      for (const [name, shortNames, apiVersion, namespaced, kind] of expected) {
        expect(byName.get(`${name} ${apiVersion}`), name).toEqual({
          NAME: name,
          SHORTNAMES: shortNames,
          APIVERSION: apiVersion,
          NAMESPACED: namespaced,
          KIND: kind,
        });
      }
      const apps = await ok(['api-resources', '--api-group=apps', '-o', 'name']);
      expect(apps.trim().split('\n').sort()).toEqual([
        'daemonsets.apps',
        'deployments.apps',
        'replicasets.apps',
      ]);
      // Short names work as resource arguments.
      expect(await ok(['get', 'deploy,cm', '-n', 'kubectl-demo', '-o', 'name'])).toBe(
        'deployment.apps/web\nconfigmap/web-config\n',
      );
    });

    it('api-versions lists every served group version', async () => {
      const versions = (await ok(['api-versions'])).trim().split('\n');
      expect(versions).toEqual([
        'apps/v1',
        'certificates.k8s.io/v1',
        'coordination.k8s.io/v1',
        'discovery.k8s.io/v1',
        'flotilla.dev/v1',
        'metrics.k8s.io/v1beta1',
        'v1',
      ]);
    });

    it('explain pods, a nested field, and --recursive', async () => {
      const pods = await ok(['explain', 'pods']);
      expect(pods).toMatch(/^KIND:\s+Pod$/m);
      expect(pods).toMatch(/^VERSION:\s+v1$/m);
      expect(pods).toContain('Pod is a collection of containers that can run on a host.');
      for (const field of [
        'apiVersion\t<string>',
        'kind\t<string>',
        'metadata\t<ObjectMeta>',
        'spec\t<PodSpec>',
        'status\t<PodStatus>',
      ]) {
        expect(pods).toContain(field);
      }

      const strategy = await ok(['explain', 'deployment.spec.strategy']);
      expect(strategy).toMatch(/^GROUP:\s+apps$/m);
      expect(strategy).toMatch(/^KIND:\s+Deployment$/m);
      expect(strategy).toMatch(/^FIELD: strategy <DeploymentStrategy>$/m);
      expect(strategy).toContain('rollingUpdate\t<RollingUpdateDeployment>');
      expect(strategy).toMatch(/type\t<string>/);

      const recursive = await ok(['explain', 'deployment.spec.strategy', '--recursive']);
      expect(recursive).toMatch(/^ {2}rollingUpdate\t<RollingUpdateDeployment>$/m);
      expect(recursive).toMatch(/^ {4}maxSurge\t<IntOrString>$/m);
      expect(recursive).toMatch(/^ {4}maxUnavailable\t<IntOrString>$/m);
      expect(recursive).toMatch(/^ {2}type\t<string>/m);

      const containers = await ok(['explain', 'pod.spec.containers.image']);
      expect(containers).toMatch(/^FIELD: image <string>$/m);
      expect(await fails(['explain', 'pods.spec.nosuchfield'])).toMatch(/field "nosuchfield" does not exist/);
    });
  });

  describe('get', () => {
    beforeAll(async () => {
      // A node and two pods, one bound to it and reported Running with an IP (what an agent would do).
      await ok(
        ['create', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'worker-1', labels: { 'kubernetes.io/hostname': 'worker-1' } },
          status: {
            addresses: [
              { type: 'InternalIP', address: '10.0.0.5' },
              { type: 'Hostname', address: 'worker-1' },
            ],
            conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }],
            nodeInfo: {
              kubeletVersion: 'v1.32.0',
              osImage: 'Debian GNU/Linux 12 (bookworm)',
              kernelVersion: '6.1.0-test',
              containerRuntimeVersion: 'docker://24.0.0',
              machineID: 'm',
              systemUUID: 's',
              bootID: 'b',
              kubeProxyVersion: 'v1.32.0',
              operatingSystem: 'linux',
              architecture: 'amd64',
            },
          },
        }),
      );
      const pod = (name: string, labels: Record<string, string>, nodeName?: string) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'kubectl-demo', labels },
        spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox:1.36' }] },
      });
      await ok(
        ['create', '-f', '-'],
        [pod('pending-pod', { app: 'web', tier: 'frontend' }), pod('running-pod', { app: 'db' }, 'worker-1')]
          .map((p) => YAML.stringify(p))
          .join('---\n'),
      );
      await ok([
        'patch',
        'pod',
        'running-pod',
        '-n',
        'kubectl-demo',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            phase: 'Running',
            hostIP: '10.0.0.5',
            podIP: '10.244.1.7',
            podIPs: [{ ip: '10.244.1.7' }],
          },
        }),
      ]);
    });

    it('-o wide prints the columns Kubernetes prints, with pod IP and node', async () => {
      const pods = parseTable(await ok(['get', 'pods', '-n', 'kubectl-demo', '-o', 'wide']));
      expect(pods.header).toEqual([
        'NAME',
        'READY',
        'STATUS',
        'RESTARTS',
        'AGE',
        'IP',
        'NODE',
        'NOMINATED NODE',
        'READINESS GATES',
      ]);
      expect(pods.rows.map((r) => ({ ...r, AGE: r.AGE!.replace(/^\d+s$/, 'Ns') }))).toEqual([
        {
          NAME: 'pending-pod',
          READY: '0/1',
          STATUS: 'Pending',
          RESTARTS: '0',
          AGE: 'Ns',
          IP: '<none>',
          NODE: '<none>',
          'NOMINATED NODE': '<none>',
          'READINESS GATES': '<none>',
        },
        {
          NAME: 'running-pod',
          READY: '0/1',
          STATUS: 'Running',
          RESTARTS: '0',
          AGE: 'Ns',
          IP: '10.244.1.7',
          NODE: 'worker-1',
          'NOMINATED NODE': '<none>',
          'READINESS GATES': '<none>',
        },
      ]);

      const deploy = parseTable(await ok(['get', 'deployments', '-n', 'kubectl-demo', '-o', 'wide']));
      expect(deploy.header).toEqual([
        'NAME',
        'READY',
        'UP-TO-DATE',
        'AVAILABLE',
        'AGE',
        'CONTAINERS',
        'IMAGES',
        'SELECTOR',
      ]);
      expect(deploy.rows[0]).toMatchObject({
        NAME: 'web',
        READY: '0/2',
        'UP-TO-DATE': '0',
        AVAILABLE: '0',
        CONTAINERS: 'web',
        IMAGES: 'busybox:1.36',
        SELECTOR: 'app=web',
      });

      const svc = parseTable(await ok(['get', 'services', '-n', 'kubectl-demo', '-o', 'wide']));
      expect(svc.header).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
      expect(svc.rows[0]).toMatchObject({
        NAME: 'web',
        TYPE: 'ClusterIP',
        'PORT(S)': '80/TCP',
        SELECTOR: 'app=web',
      });

      const nodes = parseTable(await ok(['get', 'nodes', '-o', 'wide']));
      expect(nodes.header).toEqual([
        'NAME',
        'STATUS',
        'ROLES',
        'AGE',
        'VERSION',
        'INTERNAL-IP',
        'EXTERNAL-IP',
        'OS-IMAGE',
        'KERNEL-VERSION',
        'CONTAINER-RUNTIME',
      ]);
      expect(nodes.rows[0]).toMatchObject({
        NAME: 'worker-1',
        STATUS: 'Ready',
        ROLES: '<none>',
        VERSION: 'v1.32.0',
        'INTERNAL-IP': '10.0.0.5',
        'EXTERNAL-IP': '<none>',
        'OS-IMAGE': 'Debian GNU/Linux 12 (bookworm)',
        'KERNEL-VERSION': '6.1.0-test',
        'CONTAINER-RUNTIME': 'docker://24.0.0',
      });

      const cms = parseTable(await ok(['get', 'configmaps', '-n', 'kubectl-demo']));
      expect(cms.header).toEqual(['NAME', 'DATA', 'AGE']);
      expect(cms.rows[0]).toMatchObject({ NAME: 'web-config', DATA: '2' });
      const secrets = parseTable(await ok(['get', 'secrets', '-n', 'kubectl-demo']));
      expect(secrets.header).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
      expect(secrets.rows[0]).toMatchObject({ NAME: 'web-secret', TYPE: 'Opaque', DATA: '1' });
    });

    it('-o yaml and -o json show the stored object with server-set metadata and defaults', async () => {
      const y = YAML.parse(
        await ok(['get', 'deployment', 'web', '-n', 'kubectl-demo', '-o', 'yaml']),
      ) as Json;
      expect(y.apiVersion).toBe('apps/v1');
      expect(y.kind).toBe('Deployment');
      expect(y.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(y.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(y.metadata.generation).toBe(1);
      expect(Date.parse(y.metadata.creationTimestamp)).not.toBeNaN();
      expect(y.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(
        '"replicas":2',
      );
      // Defaults Kubernetes fills in.
      expect(y.spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      });
      expect(y.spec.revisionHistoryLimit).toBe(10);
      expect(y.spec.progressDeadlineSeconds).toBe(600);
      const c = y.spec.template.spec.containers[0];
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
      expect(y.spec.template.spec.restartPolicy).toBe('Always');

      const j = await json(['get', 'deployment', 'web', '-n', 'kubectl-demo']);
      expect(j).toEqual(y);

      // A list in JSON is a v1 List with the items.
      const list = await json<{ kind: string; items: { metadata: { name: string } }[] }>([
        'get',
        'configmaps,secrets',
        '-n',
        'kubectl-demo',
      ]);
      expect(list.kind).toBe('List');
      expect(list.items.map((i) => i.metadata.name)).toEqual(['web-config', 'web-secret']);

      // jsonpath and custom columns read the same object.
      expect(
        await ok(['get', 'svc', 'web', '-n', 'kubectl-demo', '-o', 'jsonpath={.spec.ports[0].targetPort}']),
      ).toBe('80');
      expect(
        await ok([
          'get',
          'pods',
          '-n',
          'kubectl-demo',
          '-o',
          'custom-columns=NAME:.metadata.name,PHASE:.status.phase',
          '--no-headers',
        ]),
      ).toMatch(/^pending-pod\s+Pending\nrunning-pod\s+Running\n$/);
    });

    it('-l selects by labels (equality, set, existence, negation)', async () => {
      const names = async (args: string[]) =>
        (await ok([...args, '-o', 'name'])).trim().split('\n').filter(Boolean);
      expect(await names(['get', 'pods', '-n', 'kubectl-demo', '-l', 'app=web'])).toEqual([
        'pod/pending-pod',
      ]);
      expect(await names(['get', 'pods', '-n', 'kubectl-demo', '-l', 'app!=web'])).toEqual([
        'pod/running-pod',
      ]);
      expect(await names(['get', 'pods', '-n', 'kubectl-demo', '-l', 'app in (web,db)'])).toEqual([
        'pod/pending-pod',
        'pod/running-pod',
      ]);
      expect(await names(['get', 'pods', '-n', 'kubectl-demo', '-l', 'tier'])).toEqual(['pod/pending-pod']);
      expect(await names(['get', 'pods', '-n', 'kubectl-demo', '-l', '!tier'])).toEqual(['pod/running-pod']);
      expect(await names(['get', 'pods', '-n', 'kubectl-demo', '-l', 'app=web,tier=frontend'])).toEqual([
        'pod/pending-pod',
      ]);
      expect(await names(['get', 'all', '-n', 'kubectl-demo', '-l', 'app=web'])).toEqual([
        'pod/pending-pod',
        'service/web',
        'deployment.apps/web',
      ]);
      const none = await kubectl(['get', 'pods', '-n', 'kubectl-demo', '-l', 'app=nothing']);
      expect(none.code).toBe(0);
      expect(none.stderr.trim()).toBe('No resources found in kubectl-demo namespace.');
      expect(await fails(['get', 'pods', '-n', 'kubectl-demo', '-l', 'app in (web'])).toMatch(
        /unable to parse requirement|found '', expected/,
      );
    });

    it('--field-selector selects by status.phase, metadata.name and spec.nodeName', async () => {
      const names = async (selector: string, extra: string[] = ['-n', 'kubectl-demo']) =>
        (await ok(['get', 'pods', ...extra, '--field-selector', selector, '-o', 'name']))
          .trim()
          .split('\n')
          .filter(Boolean);
      expect(await names('status.phase=Pending')).toEqual(['pod/pending-pod']);
      expect(await names('status.phase=Running')).toEqual(['pod/running-pod']);
      expect(await names('status.phase!=Running')).toEqual(['pod/pending-pod']);
      expect(await names('metadata.name=running-pod')).toEqual(['pod/running-pod']);
      expect(await names('spec.nodeName=worker-1', ['-A'])).toEqual(['pod/running-pod']);
      expect(await names('spec.nodeName=', ['-A'])).toEqual(['pod/pending-pod']);
      expect(await names('status.phase=Running,spec.nodeName=worker-1')).toEqual(['pod/running-pod']);
      expect(await names('status.phase=Succeeded')).toEqual([]);
      expect(
        (
          await ok(['get', 'namespaces', '--field-selector', 'metadata.name=kubectl-demo', '-o', 'name'])
        ).trim(),
      ).toBe('namespace/kubectl-demo');
      const bad = await fails([
        'get',
        'pods',
        '-n',
        'kubectl-demo',
        '--field-selector',
        'spec.image=busybox',
      ]);
      expect(bad).toMatch(/field label not supported: spec\.image/);
    });

    it('-n NAME shows one namespace, -A all of them, and no flag the default namespace', async () => {
      await ok(
        ['apply', '-f', '-'],
        YAML.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubectl-other' } }),
      );
      const cm = (ns: string) =>
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'shared', namespace: ns },
          data: { ns },
        });
      await ok(['apply', '-f', '-'], `${cm('kubectl-demo')}---\n${cm('kubectl-other')}`);

      const one = parseTable(await ok(['get', 'configmap', 'shared', '-n', 'kubectl-other']));
      expect(one.header).toEqual(['NAME', 'DATA', 'AGE']);
      expect(one.rows.map((r) => r.NAME)).toEqual(['shared']);

      const all = parseTable(
        await ok(['get', 'configmaps', '-A', '--field-selector', 'metadata.name=shared']),
      );
      expect(all.header).toEqual(['NAMESPACE', 'NAME', 'DATA', 'AGE']);
      expect(all.rows.map((r) => `${r.NAMESPACE}/${r.NAME}`)).toEqual([
        'kubectl-demo/shared',
        'kubectl-other/shared',
      ]);

      const defaultNs = await kubectl(['get', 'configmaps']);
      expect(defaultNs.code).toBe(0);
      expect(defaultNs.stderr.trim()).toBe('No resources found in default namespace.');

      expect(await fails(['get', 'configmap', 'shared', '-n', 'default'])).toBe(
        'Error from server (NotFound): configmaps "shared" not found\n',
      );
    });

    it('--chunk-size=2 pages through a list with limit and continue', async () => {
      const docs = ['a', 'b', 'c', 'd', 'e'].map((n) =>
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `page-${n}`, namespace: 'kubectl-other', labels: { paged: 'set' } },
        }),
      );
      await ok(['apply', '-f', '-'], docs.join('---\n'));
      const r = await kubectl([
        'get',
        'configmaps',
        '-n',
        'kubectl-other',
        '-l',
        'paged=set',
        '--chunk-size=2',
        '-v=6',
      ]);
      expect(r.code).toBe(0);
      const requests = r.stderr
        .split('\n')
        .filter((l) => /GET https:\/\/\S+\/api\/v1\/namespaces\/kubectl-other\/configmaps\?/.test(l));
      expect(requests).toHaveLength(3);
      expect(requests.every((l) => l.includes('limit=2') && l.includes(' 200 OK'))).toBe(true);
      expect(requests[0]).not.toContain('continue=');
      expect(requests[1]).toContain('continue=');
      expect(requests[2]).toContain('continue=');
      const t = parseTable(r.stdout);
      expect(t.header).toEqual(['NAME', 'DATA', 'AGE']);
      expect(t.rows.map((x) => x.NAME)).toEqual(['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
    });

    it('get -w prints changes made while it watches', async () => {
      await ok(
        ['apply', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'watched', namespace: 'kubectl-other' },
          data: { v: '1' },
        }),
      );
      const w = startKubectl(tool.path!, cp.kubeconfigPath, [
        '--cache-dir',
        cacheDir,
        'get',
        'configmaps',
        '-n',
        'kubectl-other',
        '--field-selector',
        'metadata.name!=shared',
        '-w',
        '--output-watch-events',
      ]);
      try {
        await w.waitForLine(/^ADDED\s+watched\s+1\s/);
        await ok(['label', 'configmap', 'watched', '-n', 'kubectl-other', 'seen=yes']);
        await w.waitForLine(/^MODIFIED\s+watched\s+1\s/);
        await ok(
          ['apply', '-f', '-'],
          YAML.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'watched-new', namespace: 'kubectl-other' },
            data: { a: '1', b: '2' },
          }),
        );
        await w.waitForLine(/^ADDED\s+watched-new\s+2\s/);
        await ok(['delete', 'configmap', 'watched', '-n', 'kubectl-other']);
        await w.waitForLine(/^DELETED\s+watched\s+1\s/);
        expect(w.stdout().split('\n')[0]).toMatch(/^EVENT\s+NAME\s+DATA\s+AGE$/);
        expect(w.running()).toBe(true);
      } finally {
        await w.stop();
      }
    });

    it('get -w on one object prints its updates', async () => {
      const w = startKubectl(tool.path!, cp.kubeconfigPath, [
        '--cache-dir',
        cacheDir,
        'get',
        'deployment',
        'web',
        '-n',
        'kubectl-demo',
        '-w',
      ]);
      try {
        await w.waitForLine(/^web\s+0\/2\s/);
        await ok(['scale', 'deployment', 'web', '-n', 'kubectl-demo', '--replicas=4']);
        await w.waitForLine(/^web\s+0\/4\s/);
      } finally {
        await w.stop();
      }
      await ok(['scale', 'deployment', 'web', '-n', 'kubectl-demo', '--replicas=2']);
    });
  });

  describe('describe', () => {
    it('describes a deployment, a pod, a service, a configmap and a node', async () => {
      const d = await ok(['describe', 'deployment', 'web', '-n', 'kubectl-demo']);
      expect(d).toMatch(/^Name:\s+web$/m);
      expect(d).toMatch(/^Namespace:\s+kubectl-demo$/m);
      expect(d).toMatch(/^Labels:\s+app=web\n\s+tier=frontend$/m);
      expect(d).toMatch(/^Selector:\s+app=web$/m);
      expect(d).toMatch(/^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
      expect(d).toMatch(/^StrategyType:\s+RollingUpdate$/m);
      expect(d).toMatch(/^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
      expect(d).toMatch(/^\s+Image:\s+busybox:1\.36$/m);
      expect(d).toMatch(/MODE:\s+<set to the key 'mode' of config map 'web-config'>/);

      const p = await ok(['describe', 'pod', 'running-pod', '-n', 'kubectl-demo']);
      expect(p).toMatch(/^Node:\s+worker-1\/10\.0\.0\.5$/m);
      expect(p).toMatch(/^Status:\s+Running$/m);
      expect(p).toMatch(/^IP:\s+10\.244\.1\.7$/m);
      expect(p).toMatch(/^QoS Class:\s+BestEffort$/m);

      const s = await ok(['describe', 'service', 'web', '-n', 'kubectl-demo']);
      expect(s).toMatch(/^Type:\s+ClusterIP$/m);
      expect(s).toMatch(/^Port:\s+http\s+80\/TCP$/m);
      expect(s).toMatch(/^TargetPort:\s+80\/TCP$/m);

      const c = await ok(['describe', 'configmap', 'web-config', '-n', 'kubectl-demo']);
      expect(c).toMatch(/^greeting:\n----\nhello$/m);

      const n = await ok(['describe', 'node', 'worker-1']);
      expect(n).toMatch(/^Name:\s+worker-1$/m);
      expect(n).toMatch(/InternalIP:\s+10\.0\.0\.5/);
      expect(n).toMatch(/Ready\s+True/);

      // describe by label selector and a missing object.
      expect(await ok(['describe', 'configmaps', '-n', 'kubectl-demo', '-l', 'app=web'])).toMatch(
        /^Name:\s+web-config$/m,
      );
      expect(await fails(['describe', 'configmap', 'missing', '-n', 'kubectl-demo'])).toMatch(
        /Error from server \(NotFound\): configmaps "missing" not found/,
      );
    });
  });

  describe('updates', () => {
    it('edit-style: get -o json, change it, replace -f -', async () => {
      const cm = await json(['get', 'configmap', 'web-config', '-n', 'kubectl-demo']);
      cm.data.greeting = 'hallo';
      cm.data.added = 'by-replace';
      const out = await ok(['replace', '-f', '-'], JSON.stringify(cm));
      expect(out.trim()).toBe('configmap/web-config replaced');
      const after = await json(['get', 'configmap', 'web-config', '-n', 'kubectl-demo']);
      expect(after.data).toEqual({ greeting: 'hallo', mode: 'production', added: 'by-replace' });
      expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(cm.metadata.resourceVersion));
      expect(after.metadata.uid).toBe(cm.metadata.uid);
    });

    it('replace with a stale resourceVersion is a 409 Conflict and changes nothing', async () => {
      const stale = await json(['get', 'configmap', 'web-config', '-n', 'kubectl-demo']);
      await ok([
        'patch',
        'configmap',
        'web-config',
        '-n',
        'kubectl-demo',
        '--type=merge',
        '-p',
        '{"data":{"winner":"first"}}',
      ]);
      stale.data.winner = 'second';
      const err = await fails(['replace', '-f', '-'], JSON.stringify(stale));
      expect(err).toBe(
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "web-config": the object has been modified; please apply your changes to the latest version and try again\n',
      );
      const after = await json(['get', 'configmap', 'web-config', '-n', 'kubectl-demo']);
      expect(after.data.winner).toBe('first');
    });

    it('kubectl edit with EDITOR rewriting the file', async () => {
      await ok(
        ['apply', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'editable', namespace: 'kubectl-demo' },
          data: { greeting: 'hello', keep: 'me' },
        }),
      );
      const edit = startKubectl(
        tool.path!,
        cp.kubeconfigPath,
        ['--cache-dir', cacheDir, 'edit', 'configmap', 'editable', '-n', 'kubectl-demo'],
        { EDITOR: `sh ${join(FIXTURES, 'edit-greeting.sh')}` },
      );
      expect(await edit.exited).toBe(0);
      expect(edit.stdout().trim()).toBe('configmap/editable edited');
      const after = await json(['get', 'configmap', 'editable', '-n', 'kubectl-demo']);
      expect(after.data).toEqual({ greeting: 'bonjour', keep: 'me' });

      // Running it again finds nothing to change in the file: kubectl reports that and writes nothing.
      const again = startKubectl(
        tool.path!,
        cp.kubeconfigPath,
        ['--cache-dir', cacheDir, 'edit', 'configmap', 'editable', '-n', 'kubectl-demo'],
        { EDITOR: `sh ${join(FIXTURES, 'edit-greeting.sh')}` },
      );
      expect(await again.exited).toBe(0);
      expect(again.stderr()).toContain('Edit cancelled, no changes made.');
      const unchanged = await json(['get', 'configmap', 'editable', '-n', 'kubectl-demo']);
      expect(unchanged.metadata.resourceVersion).toBe(after.metadata.resourceVersion);
    });

    it('scale sets spec.replicas through the scale subresource', async () => {
      const before = await json(['get', 'deployment', 'web', '-n', 'kubectl-demo']);
      expect(await ok(['scale', 'deployment', 'web', '-n', 'kubectl-demo', '--replicas=5'])).toBe(
        'deployment.apps/web scaled\n',
      );
      const after = await json(['get', 'deployment', 'web', '-n', 'kubectl-demo']);
      expect(after.spec.replicas).toBe(5);
      expect(after.metadata.generation).toBe(before.metadata.generation + 1);
      const scale = JSON.parse(
        await ok(['get', '--raw', '/apis/apps/v1/namespaces/kubectl-demo/deployments/web/scale']),
      ) as Json;
      expect(scale).toMatchObject({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        spec: { replicas: 5 },
        status: { replicas: 0, selector: 'app=web' },
      });
      // --current-replicas is a precondition.
      expect(
        await fails([
          'scale',
          'deployment',
          'web',
          '-n',
          'kubectl-demo',
          '--current-replicas=3',
          '--replicas=1',
        ]),
      ).toMatch(/Expected replicas to be 3, was 5/);
      expect(
        await ok([
          'scale',
          'deployment',
          'web',
          '-n',
          'kubectl-demo',
          '--current-replicas=5',
          '--replicas=2',
        ]),
      ).toBe('deployment.apps/web scaled\n');
    });

    it('label: add, refuse to overwrite, --overwrite, remove with key-', async () => {
      const labels = async () =>
        (await json(['get', 'deployment', 'web', '-n', 'kubectl-demo'])).metadata.labels as Record<
          string,
          string
        >;
      expect(await ok(['label', 'deployment', 'web', '-n', 'kubectl-demo', 'owner=alice'])).toBe(
        'deployment.apps/web labeled\n',
      );
      expect(await fails(['label', 'deployment', 'web', '-n', 'kubectl-demo', 'owner=bob'])).toMatch(
        /'owner' already has a value \(alice\), and --overwrite is false/,
      );
      expect((await labels()).owner).toBe('alice');
      await ok(['label', 'deployment', 'web', '-n', 'kubectl-demo', 'owner=bob', '--overwrite']);
      expect((await labels()).owner).toBe('bob');
      expect(await ok(['label', 'deployment', 'web', '-n', 'kubectl-demo', 'owner-'])).toBe(
        'deployment.apps/web unlabeled\n',
      );
      expect(await labels()).toEqual({ app: 'web', tier: 'frontend' });
      // kubectl checks label syntax itself; the server checks it for any client (here a patch).
      expect(await fails(['label', 'deployment', 'web', '-n', 'kubectl-demo', 'bad=-nope-'])).toMatch(
        /^error: invalid label value: "bad=-nope-"/,
      );
      expect(
        await fails([
          'patch',
          'deployment',
          'web',
          '-n',
          'kubectl-demo',
          '--type=merge',
          '-p',
          '{"metadata":{"labels":{"bad":"-nope-"}}}',
        ]),
      ).toMatch(
        /^The Deployment "web" is invalid: metadata\.labels: Invalid value: "-nope-": a valid label must be an empty string/,
      );
    });

    it('annotate: add, refuse to overwrite, --overwrite, remove with key-', async () => {
      const annotations = async () =>
        (await json(['get', 'configmap', 'web-config', '-n', 'kubectl-demo'])).metadata.annotations as Record<
          string,
          string
        >;
      expect(await ok(['annotate', 'configmap', 'web-config', '-n', 'kubectl-demo', 'note=one'])).toBe(
        'configmap/web-config annotated\n',
      );
      expect(await fails(['annotate', 'configmap', 'web-config', '-n', 'kubectl-demo', 'note=two'])).toMatch(
        /--overwrite is false but found the following declared annotation\(s\): 'note' already has a value \(one\)/,
      );
      expect((await annotations()).note).toBe('one');
      await ok(['annotate', 'configmap', 'web-config', '-n', 'kubectl-demo', 'note=two', '--overwrite']);
      expect((await annotations()).note).toBe('two');
      await ok(['annotate', 'configmap', 'web-config', '-n', 'kubectl-demo', 'note-']);
      expect(Object.keys(await annotations())).toEqual(['kubectl.kubernetes.io/last-applied-configuration']);
    });

    it('patch --type=merge, strategic (default) and json', async () => {
      const get = () => json(['get', 'deployment', 'web', '-n', 'kubectl-demo']);
      expect(
        await ok([
          'patch',
          'deployment',
          'web',
          '-n',
          'kubectl-demo',
          '--type=merge',
          '-p',
          '{"spec":{"minReadySeconds":7}}',
        ]),
      ).toBe('deployment.apps/web patched\n');
      expect((await get()).spec.minReadySeconds).toBe(7);

      // A strategic merge patch merges containers by name (a merge patch would replace the list).
      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'kubectl-demo',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"},{"name":"web","image":"busybox:1.37"}]}}}}',
      ]);
      let d = await get();
      const containers = d.spec.template.spec.containers as {
        name: string;
        image: string;
        command?: string[];
      }[];
      expect(containers.map((c) => `${c.name}=${c.image}`).sort()).toEqual([
        'sidecar=busybox:1.37',
        'web=busybox:1.37',
      ]);
      expect(containers.find((c) => c.name === 'web')!.command).toEqual(['httpd', '-f', '-p', '80']);

      // $patch: delete removes one element by its merge key.
      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'kubectl-demo',
        '--type=strategic',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}',
      ]);
      d = await get();
      expect(d.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web']);

      // A merge patch replaces the whole list.
      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'kubectl-demo',
        '--type=merge',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox:1.36"}]}}}}',
      ]);
      d = await get();
      expect(d.spec.template.spec.containers).toHaveLength(1);
      expect(d.spec.template.spec.containers[0]).toMatchObject({
        name: 'only',
        image: 'busybox:1.36',
        imagePullPolicy: 'IfNotPresent',
      });
      expect(d.spec.template.spec.containers[0].command).toBeUndefined();

      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'kubectl-demo',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":1},{"op":"add","path":"/metadata/labels/patched","value":"json"},{"op":"remove","path":"/spec/minReadySeconds"}]',
      ]);
      d = await get();
      expect(d.spec.replicas).toBe(1);
      expect(d.metadata.labels.patched).toBe('json');
      expect(d.spec.minReadySeconds ?? 0).toBe(0);

      // Patching to the same content is a no-op: nothing is written.
      const rv = d.metadata.resourceVersion;
      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'kubectl-demo',
        '--type=merge',
        '-p',
        '{"spec":{"replicas":1}}',
      ]);
      expect((await get()).metadata.resourceVersion).toBe(rv);
    });
  });

  describe('apply after changes', () => {
    it('three-way merge keeps fields another client set and removes fields dropped from the manifest', async () => {
      await ok(
        ['apply', '-f', '-'],
        YAML.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubectl-merge' } }),
      );
      expect(await ok(['apply', '-f', join(FIXTURES, 'three-way-v1.yaml')])).toBe(
        'deployment.apps/merge-demo created\n',
      );
      // Another client changes the live object in between.
      await ok(['label', 'deployment', 'merge-demo', '-n', 'kubectl-merge', 'added-by=other']);
      await ok(['annotate', 'deployment', 'merge-demo', '-n', 'kubectl-merge', 'other/note=kept']);
      await ok([
        'patch',
        'deployment',
        'merge-demo',
        '-n',
        'kubectl-merge',
        '--type=merge',
        '-p',
        '{"spec":{"paused":true}}',
      ]);

      expect(await ok(['apply', '-f', join(FIXTURES, 'three-way-v2.yaml')])).toBe(
        'deployment.apps/merge-demo configured\n',
      );
      const d = await json(['get', 'deployment', 'merge-demo', '-n', 'kubectl-merge']);
      // Set by the other client: kept.
      expect(d.metadata.labels).toEqual({ app: 'merge-demo', 'added-by': 'other' });
      expect(d.metadata.annotations['other/note']).toBe('kept');
      expect(d.spec.paused).toBe(true);
      // Removed from the manifest: removed (tier label, owner annotation, minReadySeconds, REGION).
      expect(d.metadata.annotations.owner).toBeUndefined();
      expect(d.spec.minReadySeconds ?? 0).toBe(0);
      expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'LOG_LEVEL', value: 'debug' }]);
      // Changed in the manifest: changed.
      expect(d.spec.replicas).toBe(3);
      expect(d.spec.template.spec.containers[0].image).toBe('busybox:1.37');
      const applied = JSON.parse(
        d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'],
      ) as Json;
      expect(applied.spec.replicas).toBe(3);

      // And kubectl diff agrees there is nothing left to apply.
      const diff = await kubectl(['diff', '-f', join(FIXTURES, 'three-way-v2.yaml')]);
      expect(diff.stderr).toBe('');
      expect(diff.code).toBe(0);
    });

    it('apply --dry-run=server validates and answers but changes nothing', async () => {
      const before = await json(['get', 'deployment', 'merge-demo', '-n', 'kubectl-merge']);
      const changed = (await readFile(join(FIXTURES, 'three-way-v2.yaml'), 'utf8')).replace(
        'replicas: 3',
        'replicas: 9',
      );
      expect(await ok(['apply', '--dry-run=server', '-f', '-'], changed)).toBe(
        'deployment.apps/merge-demo configured (server dry run)\n',
      );
      const preview = YAML.parse(
        await ok(['apply', '--dry-run=server', '-o', 'yaml', '-f', '-'], changed),
      ) as Json;
      expect(preview.spec.replicas).toBe(9);
      const after = await json(['get', 'deployment', 'merge-demo', '-n', 'kubectl-merge']);
      expect(after.spec.replicas).toBe(3);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);

      // A dry-run create does not create.
      const fresh = YAML.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dry-only', namespace: 'kubectl-merge' },
        data: { a: 'b' },
      });
      expect(await ok(['apply', '--dry-run=server', '-f', '-'], fresh)).toBe(
        'configmap/dry-only created (server dry run)\n',
      );
      expect(await fails(['get', 'configmap', 'dry-only', '-n', 'kubectl-merge'])).toMatch(/NotFound/);
      // An invalid object is still rejected in dry-run.
      const invalid = YAML.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'dry-bad', namespace: 'kubectl-merge' },
        spec: { containers: [{ name: 'c' }] },
      });
      expect(await fails(['apply', '--dry-run=server', '-f', '-'], invalid)).toMatch(
        /spec\.containers\[0\]\.image: Required value/,
      );
    });
  });

  describe('create and delete', () => {
    it('create -f creates once, then reports AlreadyExists', async () => {
      const manifest = YAML.stringify({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'builder', namespace: 'kubectl-demo' },
      });
      expect(await ok(['create', '-f', '-'], manifest)).toBe('serviceaccount/builder created\n');
      expect(await fails(['create', '-f', '-'], manifest)).toBe(
        'Error from server (AlreadyExists): error when creating "STDIN": serviceaccounts "builder" already exists\n',
      );
      const sa = await json(['get', 'sa', 'builder', '-n', 'kubectl-demo']);
      expect(sa.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
      // generateName gives a fresh name each time.
      const gen = YAML.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: 'gen-', namespace: 'kubectl-demo' },
      });
      const a = (await ok(['create', '-f', '-', '-o', 'name'], gen)).trim();
      const b = (await ok(['create', '-f', '-', '-o', 'name'], gen)).trim();
      expect(a).toMatch(/^configmap\/gen-[a-z0-9]{5}$/);
      expect(b).toMatch(/^configmap\/gen-[a-z0-9]{5}$/);
      expect(a).not.toBe(b);
    });

    it('delete without waiting leaves a bound pod Terminating; --grace-period sets its grace', async () => {
      await ok(
        ['create', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'graceful', namespace: 'kubectl-demo' },
          spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'busybox:1.36' }] },
        }),
      );
      expect(
        await ok(['delete', 'pod', 'graceful', '-n', 'kubectl-demo', '--wait=false', '--grace-period=45']),
      ).toBe('pod "graceful" deleted\n');
      const pod = await json(['get', 'pod', 'graceful', '-n', 'kubectl-demo']);
      expect(pod.metadata.deletionGracePeriodSeconds).toBe(45);
      expect(Date.parse(pod.metadata.deletionTimestamp) - Date.now()).toBeGreaterThan(30_000);
      const t = parseTable(await ok(['get', 'pod', 'graceful', '-n', 'kubectl-demo']));
      expect(t.rows[0]!.STATUS).toBe('Terminating');
      // A shorter grace period later shortens it; --grace-period=0 --force removes it at once.
      const forced = await kubectl([
        'delete',
        'pod',
        'graceful',
        '-n',
        'kubectl-demo',
        '--grace-period=0',
        '--force',
      ]);
      expect(forced.code).toBe(0);
      expect(forced.stdout).toBe('pod "graceful" force deleted\n');
      expect(await fails(['get', 'pod', 'graceful', '-n', 'kubectl-demo'])).toMatch(/NotFound/);
    });

    it('drain cordons a node and evicts its pods through pods/eviction', async () => {
      await ok(
        ['create', '-f', '-'],
        YAML.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'drain-me' } }),
      );
      await ok(
        ['create', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'evictee', namespace: 'kubectl-demo' },
          spec: { nodeName: 'drain-me', containers: [{ name: 'c', image: 'busybox:1.36' }] },
        }),
      );
      // No controller owns the pod, hence --force; grace 0 so the eviction deletes it at once.
      const out = await ok(['drain', 'drain-me', '--force', '--grace-period=0', '--timeout=30s']);
      expect(out).toContain('node/drain-me cordoned');
      expect(out).toContain('pod/evictee evicted');
      expect(out).toContain('node/drain-me drained');
      expect(await fails(['get', 'pod', 'evictee', '-n', 'kubectl-demo'])).toMatch(/NotFound/);
      expect(
        (await json<{ spec: { unschedulable?: boolean } }>(['get', 'node', 'drain-me'])).spec.unschedulable,
      ).toBe(true);
      await ok(['delete', 'node', 'drain-me']);
    });

    it('delete --wait returns only once the object is gone', async () => {
      await ok(
        ['create', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'waited', namespace: 'kubectl-demo' },
          spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'busybox:1.36' }] },
        }),
      );
      // The pod is bound, so deletion is graceful: kubectl waits for the node to finish it.
      const del = startKubectl(tool.path!, cp.kubeconfigPath, [
        '--cache-dir',
        cacheDir,
        'delete',
        'pod',
        'waited',
        '-n',
        'kubectl-demo',
        '--wait=true',
        '--timeout=30s',
      ]);
      try {
        await del.waitForLine(/^pod "waited" deleted$/);
        const pod = await json(['get', 'pod', 'waited', '-n', 'kubectl-demo']);
        expect(pod.metadata.deletionTimestamp).toBeDefined();
        expect(del.running()).toBe(true);
        // The "kubelet" finishes the deletion; the waiting kubectl then exits 0.
        await ok(['delete', 'pod', 'waited', '-n', 'kubectl-demo', '--grace-period=0', '--force']);
        expect(await del.exited).toBe(0);
      } finally {
        await del.stop();
      }

      // Objects without a grace period go at once, with or without --wait.
      await ok(
        ['create', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'quick-1', namespace: 'kubectl-demo' },
        }),
      );
      await ok(
        ['create', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'quick-2', namespace: 'kubectl-demo' },
        }),
      );
      expect(await ok(['delete', 'configmap', 'quick-1', '-n', 'kubectl-demo'])).toBe(
        'configmap "quick-1" deleted\n',
      );
      expect(await ok(['delete', 'configmap', 'quick-2', '-n', 'kubectl-demo', '--wait=false'])).toBe(
        'configmap "quick-2" deleted\n',
      );
      expect(await fails(['get', 'configmap', 'quick-1', 'quick-2', '-n', 'kubectl-demo'])).toBe(
        'Error from server (NotFound): configmaps "quick-1" not found\nError from server (NotFound): configmaps "quick-2" not found\n',
      );
      expect(await fails(['delete', 'configmap', 'quick-1', '-n', 'kubectl-demo'])).toBe(
        'Error from server (NotFound): configmaps "quick-1" not found\n',
      );
      // delete -l removes every match.
      expect(await ok(['delete', 'configmaps', '-n', 'kubectl-other', '-l', 'paged=set'])).toBe(
        ['a', 'b', 'c', 'd', 'e'].map((n) => `configmap "page-${n}" deleted\n`).join(''),
      );
    });

    it('delete -f of the manifest removes what it created', async () => {
      const r = await kubectl(['delete', '-f', join(FIXTURES, 'app.yaml'), '--wait=false']);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual([
        'namespace "kubectl-demo" deleted',
        'configmap "web-config" deleted',
        'secret "web-secret" deleted',
        'deployment.apps "web" deleted',
        'service "web" deleted',
      ]);
      const ns = await json(['get', 'namespace', 'kubectl-demo']);
      expect(ns.status.phase).toBe('Terminating');
      // A terminating namespace takes no new objects.
      expect(
        await fails(
          ['create', '-f', '-'],
          YAML.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'late', namespace: 'kubectl-demo' },
          }),
        ),
      ).toMatch(
        /Error from server \(Forbidden\): error when creating "STDIN": configmaps "late" is forbidden: unable to create new content in namespace kubectl-demo because it is being terminated/,
      );
      // The immortal namespaces stay.
      expect(await fails(['delete', 'namespace', 'default'])).toMatch(/Forbidden/);
    });
  });

  // kubectl's typed `create` subcommands send protobuf bodies (application/vnd.kubernetes.protobuf).
  describe('typed-client create (protobuf)', () => {
    it('create namespace', async () => {
      expect(await ok(['create', 'namespace', 'kubectl-proto'])).toBe('namespace/kubectl-proto created\n');
      const ns = await json(['get', 'namespace', 'kubectl-proto']);
      expect(ns.status.phase).toBe('Active');
    });

    it('create configmap --from-literal', async () => {
      await ok(
        ['apply', '-f', '-'],
        YAML.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubectl-proto' } }),
      );
      expect(
        await ok([
          'create',
          'configmap',
          'literal',
          '-n',
          'kubectl-proto',
          '--from-literal=a=1',
          '--from-literal=b=two words',
        ]),
      ).toBe('configmap/literal created\n');
      const cm = await json(['get', 'configmap', 'literal', '-n', 'kubectl-proto']);
      expect(cm.data).toEqual({ a: '1', b: 'two words' });
    });

    it('create deployment --image --replicas', async () => {
      await ok(
        ['apply', '-f', '-'],
        YAML.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubectl-proto' } }),
      );
      expect(
        await ok([
          'create',
          'deployment',
          'hello',
          '-n',
          'kubectl-proto',
          '--image=busybox:1.36',
          '--replicas=3',
          '--port=8080',
        ]),
      ).toBe('deployment.apps/hello created\n');
      const d = await json(['get', 'deployment', 'hello', '-n', 'kubectl-proto']);
      expect(d.spec.replicas).toBe(3);
      expect(d.spec.selector).toEqual({ matchLabels: { app: 'hello' } });
      expect(d.spec.template.spec.containers[0]).toMatchObject({
        name: 'busybox',
        image: 'busybox:1.36',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
      });
    });
  });
});

describeKubectl('kubectl against `flotilla server` (the CLI, in its own process)', () => {
  it('applies the manifest and reads it back; the server stops cleanly on SIGTERM', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-cli-kubectl-'));
    const server = spawn(
      process.execPath,
      [join(root, 'bin', 'flotilla.js'), 'server', '--data-dir', dataDir, '--port', '0'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      let kubeconfig: string | undefined;
      while (!(kubeconfig = /^Admin kubeconfig: (\S+)$/m.exec(out)?.[1])) {
        if (Date.now() > deadline || server.exitCode !== null)
          throw new Error(`flotilla server did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(kubeconfig).toBe(join(dataDir, 'kubeconfig'));
      const cli = kubectlRunner(tool.path!, kubeconfig);
      const applied = await cli([
        '--cache-dir',
        join(dataDir, 'kube-cache'),
        'apply',
        '-f',
        join(FIXTURES, 'app.yaml'),
      ]);
      expect(applied.stderr).toBe('');
      expect(applied.stdout.trim().split('\n')).toHaveLength(5);
      const got = await cli([
        '--cache-dir',
        join(dataDir, 'kube-cache'),
        'get',
        'deploy,svc,cm,secret',
        '-n',
        'kubectl-demo',
        '-o',
        'name',
      ]);
      expect(got.stdout).toBe('deployment.apps/web\nservice/web\nconfigmap/web-config\nsecret/web-secret\n');
    } finally {
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
