// Endpoints and EndpointSlices against the real control plane: the test plays the kubelet, giving
// pods IPs and flipping their Ready condition; both objects follow — ready vs not-ready addresses,
// ports resolved from a named targetPort, nodeName and targetRef, terminating pods — and Services
// without a selector are left alone. kubectl shows the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { createEndpointsController } from '../src-main/control-plane/controllers/endpoints';
import type { Endpoints } from '../src-main/control-plane/controllers/endpoints/controller';
import { createEndpointSliceController } from '../src-main/control-plane/controllers/endpointslice';
import type { EndpointSlice } from '../src-main/control-plane/controllers/endpointslice/controller';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { Pod } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { kubectlRunner } from './support/kubectl';
import { requireTool } from './support/tools';

const kubectlTool = requireTool('/usr/bin/kubectl', 'kubectl v1.32 at /usr/bin/kubectl');
const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const PODS = r('pods');
const SERVICES = r('services');
const ENDPOINTS = r('endpoints');
const SLICES = r('endpointslices');
const NS = 'default';

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
let manager: ControllerManager;

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
  const log = testLogger();
  manager = await startControllerManager({
    api,
    log,
    controllers: ['endpoints', 'endpointslice'],
    registry: {
      endpoints: (ctx) => createEndpointsController(ctx),
      endpointslice: (ctx) => createEndpointSliceController(ctx),
    },
  });
});

afterAll(async () => {
  await manager?.stop();
  transport?.close();
  await cp?.dispose();
});

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What a kubelet reports: Running with an IP, Ready or not. */
async function report(name: string, ip: string, ready: boolean): Promise<void> {
  await api.patch(
    PODS,
    name,
    NS,
    {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now() }],
      },
    },
    'merge',
    'status',
  );
}

async function pod(name: string, node: string, port: number): Promise<Pod> {
  return api.create<Pod>(PODS, {
    metadata: { name, namespace: NS, labels: { app: 'api' } },
    spec: {
      nodeName: node,
      containers: [{ name: 'srv', image: 'busybox', ports: [{ name: 'http', containerPort: port }] }],
    },
  });
}

async function endpoints(): Promise<Endpoints | undefined> {
  try {
    return await api.get<Endpoints>(ENDPOINTS, 'api', NS);
  } catch (err) {
    if (isKubeApiError(err, 404)) return undefined;
    throw err;
  }
}

async function slices(service: string): Promise<EndpointSlice[]> {
  return (
    await api.list<EndpointSlice>(SLICES, {
      namespace: NS,
      labelSelector: `kubernetes.io/service-name=${service}`,
    })
  ).items;
}

const ips = (addrs: { ip: string }[] | undefined) => (addrs ?? []).map((a) => a.ip);

describe('endpoints and endpoint slices', () => {
  it('follow pod readiness, resolve named ports and mark terminating pods', async () => {
    await api.create(SERVICES, {
      metadata: { name: 'api', namespace: NS },
      spec: { selector: { app: 'api' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
    });
    const a = await pod('api-a', 'node-1', 8080);
    await pod('api-b', 'node-2', 8080);
    await pod('api-c', 'node-2', 9090); // same port name, another number: a subset of its own
    await api.create<Pod>(PODS, {
      metadata: { name: 'other', namespace: NS, labels: { app: 'other' } },
      spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
    });
    await report('api-a', '10.244.1.5', true);
    await report('api-b', '10.244.2.7', false);
    await report('api-c', '10.244.2.9', true);
    await report('other', '10.244.1.6', true);

    const ep = await waitFor(
      async () => {
        const e = await endpoints();
        return e?.subsets?.length === 2 &&
          (e.subsets[0]?.addresses?.length ?? 0) + (e.subsets[0]?.notReadyAddresses?.length ?? 0) === 2
          ? e
          : undefined;
      },
      'endpoints with both port groups',
      10_000,
      50,
    );
    const p8080 = ep.subsets?.find((s) => s.ports?.[0]?.port === 8080);
    const p9090 = ep.subsets?.find((s) => s.ports?.[0]?.port === 9090);
    expect(p8080?.ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
    expect(p8080?.addresses).toEqual([
      {
        ip: '10.244.1.5',
        nodeName: 'node-1',
        targetRef: { kind: 'Pod', namespace: NS, name: 'api-a', uid: a.metadata.uid },
      },
    ]);
    expect(ips(p8080?.notReadyAddresses)).toEqual(['10.244.2.7']);
    expect(ips(p9090?.addresses)).toEqual(['10.244.2.9']);

    let ss = await waitFor(
      async () => {
        const s = await slices('api');
        return s.reduce((n, x) => n + (x.endpoints?.length ?? 0), 0) === 3 ? s : undefined;
      },
      'slices with three endpoints',
      10_000,
      50,
    );
    expect(ss).toHaveLength(2);
    for (const s of ss) {
      expect(s.addressType).toBe('IPv4');
      expect(s.metadata.labels?.['endpointslice.kubernetes.io/managed-by']).toBe(
        'endpointslice-controller.k8s.io',
      );
      expect(s.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'Service',
        name: 'api',
        controller: true,
      });
    }
    const byIp = (all: EndpointSlice[]) =>
      new Map(all.flatMap((s) => (s.endpoints ?? []).map((e) => [e.addresses[0], e] as const)));
    expect(byIp(ss).get('10.244.2.7')).toMatchObject({
      conditions: { ready: false, serving: false, terminating: false },
      nodeName: 'node-2',
      targetRef: { name: 'api-b' },
    });

    // Readiness flips: api-b becomes ready, api-a not.
    await report('api-b', '10.244.2.7', true);
    await report('api-a', '10.244.1.5', false);
    await waitFor(
      async () => {
        const s = (await endpoints())?.subsets?.find((x) => x.ports?.[0]?.port === 8080);
        return ips(s?.addresses).join() === '10.244.2.7' && ips(s?.notReadyAddresses).join() === '10.244.1.5';
      },
      'endpoints to follow readiness',
      10_000,
      50,
    );
    await waitFor(
      async () => {
        const m = byIp(await slices('api'));
        return (
          m.get('10.244.2.7')?.conditions.ready === true && m.get('10.244.1.5')?.conditions.ready === false
        );
      },
      'slices to follow readiness',
      10_000,
      50,
    );

    // A bound pod being deleted lingers (no kubelet to finish it): gone from Endpoints, terminating in slices.
    const sliceNames = (await slices('api')).map((s) => s.metadata.name).sort();
    await api.delete(PODS, 'api-b', NS);
    await waitFor(
      async () => !JSON.stringify((await endpoints())?.subsets ?? []).includes('10.244.2.7'),
      'the terminating pod to leave Endpoints',
      10_000,
      50,
    );
    ss = await waitFor(
      async () => {
        const s = await slices('api');
        return byIp(s).get('10.244.2.7')?.conditions.terminating ? s : undefined;
      },
      'the terminating pod in the slice',
      10_000,
      50,
    );
    expect(byIp(ss).get('10.244.2.7')?.conditions).toEqual({
      ready: false,
      serving: true,
      terminating: true,
    });
    // Slices are updated in place, not replaced.
    expect(ss.map((s) => s.metadata.name).sort()).toEqual(sliceNames);

    if (!kubectlTool.skipReason) {
      const kubectl = kubectlRunner(kubectlTool.path ?? '/usr/bin/kubectl', cp.kubeconfigPath);
      const out = await kubectl(['get', 'endpoints', 'api']);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/10\.244\.2\.9:9090/);
    }
  });

  it('a Service without a selector keeps its hand-written Endpoints; a deleted Service loses its own', async () => {
    await api.create(SERVICES, {
      metadata: { name: 'manual', namespace: NS },
      spec: { ports: [{ port: 5432 }] },
    });
    await api.create(ENDPOINTS, {
      metadata: { name: 'manual', namespace: NS },
      subsets: [{ addresses: [{ ip: '192.168.1.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }],
    });
    await api.create(SERVICES, {
      metadata: { name: 'empty', namespace: NS },
      spec: { selector: { app: 'nothing' }, ports: [{ port: 80 }] },
    });
    // An empty selected set still gets an (empty) Endpoints and a placeholder slice.
    await waitFor(async () => (await slices('empty')).length === 1, 'a placeholder slice', 10_000, 50);
    const e = await api.get<Endpoints>(ENDPOINTS, 'empty', NS);
    expect(e.subsets ?? []).toEqual([]);
    expect(await slices('manual')).toEqual([]);
    expect(ips((await api.get<Endpoints>(ENDPOINTS, 'manual', NS)).subsets?.[0]?.addresses)).toEqual([
      '192.168.1.10',
    ]);

    await api.delete(SERVICES, 'empty', NS);
    await waitFor(
      async () => {
        try {
          await api.get(ENDPOINTS, 'empty', NS);
          return false;
        } catch (err) {
          return isKubeApiError(err, 404);
        }
      },
      'the Endpoints of a deleted Service to go',
      10_000,
      50,
    );
  });
});
