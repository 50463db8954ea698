// Hollow nodes (tests/support/hollow-nodes.ts) against the real control plane: registration with a
// full Node status, Lease heartbeats that stop and resume on demand, bound pods reported Running,
// and graceful deletions finished like a kubelet would.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import type { Node, Pod } from '../src-main/control-plane/scheduler/api-types';
import { waitFor } from '../src-main/shared/kube/testing';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { LEASE_NAMESPACE, startHollowNodes } from './support/hollow-nodes';
import type { HollowNodes } from './support/hollow-nodes';

const res = (group: string, kind: string) =>
  RESOURCES.find((r) => r.group === group && r.kind === kind) as ResourceInfo;
const PODS = res('', 'Pod');
const NODES = res('', 'Node');
const LEASES = res('coordination.k8s.io', 'Lease');

let cp: TestControlPlane;
let api: KubeApi;
let closeTransport: () => void;
let fleet: HollowNodes | undefined;

beforeEach(async () => {
  cp = await startTestControlPlane();
  const client = await kubeApiFromKubeconfig(cp.kubeconfigPath);
  api = client.api;
  closeTransport = () => client.transport.close();
});

afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
  closeTransport?.();
  await cp?.dispose();
});

const renewTime = async (name: string) =>
  (await api.get<KubeObjectLike & { spec: { renewTime: string } }>(LEASES, name, LEASE_NAMESPACE)).spec
    .renewTime;

describe('hollow nodes', () => {
  it('register Ready nodes with capacity, addresses and node info, and renew their leases', async () => {
    fleet = await startHollowNodes(api, {
      count: 2,
      namePrefix: 'hn-',
      capacity: { cpu: '4', memory: '8Gi', pods: 50 },
      labels: { pool: 'a' },
      heartbeatSeconds: 1,
    });
    expect(fleet.names).toEqual(['hn-0', 'hn-1']);
    const node = await api.get<Node>(NODES, 'hn-1');
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'hn-1', pool: 'a' });
    expect(node.status?.allocatable).toMatchObject({ cpu: '4', memory: '8Gi', pods: '50' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);
    expect(node.status?.nodeInfo).toMatchObject({
      kubeletVersion: expect.stringMatching(/^v1\./),
      operatingSystem: 'linux',
    });

    const first = await renewTime('hn-0');
    await waitFor(async () => (await renewTime('hn-0')) !== first, 'a lease renewal', 5000, 50);
  });

  it('stop heartbeating on stopHeartbeats() and start again on resume()', async () => {
    fleet = await startHollowNodes(api, {
      count: 2,
      namePrefix: 'hb-',
      capacity: { cpu: '1', memory: '1Gi', pods: 10 },
      heartbeatSeconds: 1,
    });
    fleet.stopHeartbeats('hb-0');
    const silent = await renewTime('hb-0');
    const alive = await renewTime('hb-1');
    // Wait for two renewals of the live node: the silent one must not have moved meanwhile.
    const once = await waitFor(
      async () => ((await renewTime('hb-1')) !== alive ? renewTime('hb-1') : undefined),
      'hb-1 renewal',
      5000,
      50,
    );
    await waitFor(async () => (await renewTime('hb-1')) !== once, 'a second hb-1 renewal', 5000, 50);
    expect(await renewTime('hb-0')).toBe(silent);
    await fleet.resume('hb-0');
    expect(await renewTime('hb-0')).not.toBe(silent);
  });

  it('report bound pods Running with an IP, and finish graceful deletions', async () => {
    fleet = await startHollowNodes(api, {
      count: 1,
      namePrefix: 'run-',
      capacity: { cpu: '1', memory: '1Gi', pods: 10 },
      heartbeatSeconds: 5,
    });
    await api.create<Pod>(
      PODS,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default', uid: '' },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
      'default',
    );
    await api.createSubresource(PODS, 'p', 'default', 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'run-0' },
    });
    const running = await waitFor(async () => {
      const p = await api.get<Pod>(PODS, 'p', 'default');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 'p Running');
    expect(running.status).toMatchObject({
      podIP: expect.stringMatching(/^10\.244\.0\.\d+$/),
      hostIP: '10.255.0.0',
    });
    expect(
      (running.status as { containerStatuses?: { ready: boolean }[] }).containerStatuses?.[0]?.ready,
    ).toBe(true);

    // A silent node leaves the pod terminating; once back, it finishes the deletion at once.
    fleet.stopHeartbeats('run-0');
    await api.delete(PODS, 'p', 'default', { gracePeriodSeconds: 30 });
    await new Promise((r) => setTimeout(r, 200));
    expect((await api.get<Pod>(PODS, 'p', 'default')).metadata.deletionTimestamp).toBeDefined();
    await fleet.resume('run-0');
    await waitFor(
      async () => {
        try {
          await api.get(PODS, 'p', 'default');
          return false;
        } catch (err) {
          return isKubeApiError(err, 404);
        }
      },
      'the hollow node to finish the deletion',
      5000,
      50,
    );
  });
});
