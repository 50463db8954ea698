// The cluster's settings, published: at start the control plane writes kube-system/flotilla-cluster
// with the values its parts run with (checked against what they actually do: a Node's pod CIDR, a
// Service's cluster IP and node port), any signed-in user may read that one ConfigMap and nothing
// else, a restart with other timings updates it, and kubectl and the UI's reader see the same values.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, issueClientCertificate, readKubeconfig } from '../src-main/control-plane/apiserver/pki';
import { KUBERNETES_NODE_LIFECYCLE } from '../src-main/control-plane/controllers/nodelifecycle';
import { createKubeApi } from '../src-main/shared/kube/client';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { createNodeTransport } from '../src-main/shared/node/https-transport';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import { resourceFor } from '../src-main/shared/resources';
import { parseClusterSettings } from '../src-renderer/src/features/settings/cluster-settings';
import { newDataDir, startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';

const run = promisify(execFile);
const CM = resourceFor('', 'configmaps');
const NODES = resourceFor('', 'nodes');
const SERVICES = resourceFor('', 'services');
type ConfigMap = KubeObjectLike & { data?: Record<string, string> };

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const start = ipv4ToInt(base);
  return ipv4ToInt(ip) >= start && ipv4ToInt(ip) < start + size;
}

describe('cluster settings ConfigMap', () => {
  let dataDir: string;
  let cp: TestControlPlane | undefined;
  const transports: NodeTransport[] = [];

  const client = async (user?: { commonName: string; organizations?: string[] }): Promise<KubeApi> => {
    const creds = await readKubeconfig(join(dataDir, 'kubeconfig'));
    const pki = await ensurePki(dataDir, { hosts: ['127.0.0.1'] });
    const cert = user ? await issueClientCertificate(pki.ca, user) : creds;
    const transport = createNodeTransport({
      server: creds.server,
      caPem: creds.caPem,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
    });
    transports.push(transport);
    return createKubeApi(transport);
  };

  beforeAll(async () => {
    dataDir = await newDataDir('flotilla-cluster-settings-');
    cp = await startTestControlPlane({
      dataDir,
      components: true,
      controllers: { nodeLifecycle: { ...KUBERNETES_NODE_LIFECYCLE } },
    });
  }, 60_000);

  afterAll(async () => {
    for (const t of transports) t.close();
    await cp?.dispose();
  });

  it('is published at start with the values the control plane runs with', async () => {
    const admin = await client();
    const cm = await admin.get<ConfigMap>(CM, 'flotilla-cluster', 'kube-system');
    expect(cm.data).toEqual({
      clusterCIDR: '10.244.0.0/16',
      nodeCIDRMaskSize: '24',
      serviceCIDR: '10.96.0.0/12',
      nodePortRange: '30000-32767',
      nodeMonitorGracePeriodSeconds: '40',
      defaultTolerationSeconds: '300',
      nodeTimingsPreset: 'kubernetes',
      dataDir,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown as string,
    });

    // What is published is what runs: node IPAM and the Service allocators use these ranges.
    await admin.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'settings-n1' } });
    const podCIDR = await eventually('a pod CIDR for the node', async () => {
      const node = await admin.get<KubeObjectLike & { spec?: { podCIDR?: string } }>(NODES, 'settings-n1');
      return node.spec?.podCIDR;
    });
    expect(podCIDR).toMatch(/\/24$/);
    expect(inCidr(podCIDR.split('/')[0]!, cm.data!.clusterCIDR!)).toBe(true);
    type Service = KubeObjectLike & { spec: { clusterIP?: string; ports: { nodePort?: number }[] } };
    const svc = (await admin.create(
      SERVICES,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'settings-svc', namespace: 'default' },
        spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }] },
      },
      'default',
    )) as Service;
    expect(inCidr(svc.spec.clusterIP!, cm.data!.serviceCIDR!)).toBe(true);
    const [min, max] = cm.data!.nodePortRange!.split('-').map(Number) as [number, number];
    expect(svc.spec.ports[0]!.nodePort).toBeGreaterThanOrEqual(min);
    expect(svc.spec.ports[0]!.nodePort).toBeLessThanOrEqual(max);
  });

  it('kubectl and the UI read the same values', async () => {
    const { stdout } = await run('kubectl', [
      `--kubeconfig=${join(dataDir, 'kubeconfig')}`,
      '-n',
      'kube-system',
      'get',
      'configmap',
      'flotilla-cluster',
      '-o',
      'json',
    ]);
    const cm = JSON.parse(stdout) as ConfigMap;
    expect(parseClusterSettings(cm)).toMatchObject({
      clusterCIDR: '10.244.0.0/16',
      podsPerNode: 254,
      maxNodes: 256,
      nodeMonitorGracePeriodSeconds: 40,
      defaultTolerationSeconds: 300,
      nodeTimingsPreset: 'kubernetes',
      dataDir,
    });
  });

  it('any signed-in user may read that one ConfigMap, and nothing else in kube-system', async () => {
    const jane = await client({ commonName: 'jane' });
    const cm = await jane.get<ConfigMap>(CM, 'flotilla-cluster', 'kube-system');
    expect(cm.data?.clusterCIDR).toBe('10.244.0.0/16');
    // A list or watch by name is allowed (how the UI follows it live)…
    const named = await jane.list<ConfigMap>(CM, {
      namespace: 'kube-system',
      fieldSelector: 'metadata.name=flotilla-cluster',
    });
    expect(named.items.map((i) => i.metadata?.name)).toEqual(['flotilla-cluster']);
    // …but not the namespace's other ConfigMaps, nor a write.
    const denied = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isKubeApiError(err, 403), String(err)).toBe(true);
    };
    await denied(jane.list(CM, { namespace: 'kube-system' }));
    await denied(jane.get(CM, 'kube-root-ca.crt', 'kube-system'));
    await denied(jane.update(CM, { ...cm, data: { ...cm.data, clusterCIDR: '1.0.0.0/8' } }));
    await denied(jane.delete(CM, 'flotilla-cluster', 'kube-system'));
  });

  it('a restart with other timings updates it', async () => {
    await cp!.stop();
    cp = undefined;
    cp = await startTestControlPlane({
      dataDir,
      controllers: { nodeLifecycle: { nodeMonitorGracePeriodSeconds: 25 } },
    });
    const admin = await client();
    const cm = await admin.get<ConfigMap>(CM, 'flotilla-cluster', 'kube-system');
    expect(cm.data).toMatchObject({
      nodeMonitorGracePeriodSeconds: '25',
      defaultTolerationSeconds: '30',
      nodeTimingsPreset: 'custom',
    });
  }, 60_000);
});
