import { describe, expect, it } from 'vitest';
import { createFakeKubeApi } from '../../shared/kube/testing';
import { KubeApiError } from '../../shared/kube/types';
import { statusForCode } from '../../shared/kube/client';
import { ManualClock } from '../clock';
import type { MachineFacts } from './machine';
import { LEASES, microTime, NODES, NodeManager } from './node-manager';
import type { NodeHealth } from './node-status';
import type { Lease, Node } from './types';

const facts: MachineFacts = {
  cpuCores: 2,
  memoryBytes: 4 * 1024 ** 3,
  memoryAvailableBytes: 2 * 1024 ** 3,
  diskBytes: 10 * 1024 ** 3,
  diskAvailableBytes: 5 * 1024 ** 3,
  pidMax: 32768,
  processes: 100,
  hostname: 'h',
  internalIP: '10.0.0.2',
  kernelVersion: 'k',
  osImage: 'o',
  operatingSystem: 'linux',
  architecture: 'amd64',
  machineID: 'm',
  bootID: 'b',
};

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function setup() {
  const api = createFakeKubeApi();
  const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
  let health: NodeHealth = { runtime: { ok: true, version: '27.0' }, podNetwork: { ready: true } };
  const manager = new NodeManager({
    api,
    nodeName: 'n1',
    labels: { zone: 'a' },
    taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }],
    port: 10250,
    agentVersion: 't',
    readFacts: async () => facts,
    health: async () => health,
    clock,
  });
  return {
    api,
    clock,
    manager,
    setHealth: (h: NodeHealth) => (health = h),
    statusWrites: () => api.calls.filter((c) => c.verb === 'patch' && c.resource.includes('nodes')).length,
  };
}

describe('NodeManager', () => {
  it('registers the Node with well-known labels, config labels and taints, and adopts an existing one', async () => {
    const { manager } = setup();
    const node = await manager.register();
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'n1',
      'kubernetes.io/os': 'linux',
      zone: 'a',
    });
    expect(node.spec?.taints).toEqual([{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    expect(node.status?.capacity?.cpu).toBe('2');

    const again = setup();
    again.api.seed(NODES, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', labels: { keep: 'me' } },
      spec: { podCIDR: '10.244.3.0/24' },
    });
    const adopted = await again.manager.register();
    expect(adopted.metadata.labels).toMatchObject({ keep: 'me', zone: 'a', 'kubernetes.io/arch': 'amd64' });
    expect(await again.manager.waitForPodCidr()).toBe('10.244.3.0/24');
  });

  it('creates its Lease, renews it every 10 s with a MicroTime, and retries quickly while the API fails', async () => {
    const { api, clock, manager } = setup();
    await manager.register();
    manager.start();
    await settle();
    const lease = () => api.objects<Lease>(LEASES, 'kube-node-lease')[0]!;
    expect(lease().spec).toEqual({
      holderIdentity: 'n1',
      leaseDurationSeconds: 40,
      renewTime: microTime(clock.now()),
    });
    expect(lease().spec?.renewTime).toMatch(/\.\d{6}Z$/);
    expect(lease().metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: 'n1' })]);

    clock.advance(10_000);
    await settle();
    expect(lease().spec?.renewTime).toBe(microTime(Date.parse('2025-01-01T00:00:10Z')));

    let down = true;
    api.reactors.push((call) => {
      if (down && call.resource.includes('leases')) throw new KubeApiError(503, statusForCode(503));
    });
    clock.advance(10_000);
    await settle();
    expect(lease().spec?.renewTime).toBe(microTime(Date.parse('2025-01-01T00:00:10Z')));
    down = false;
    clock.advance(400); // the retry comes well before the next period
    await settle();
    expect(Date.parse(lease().spec!.renewTime!)).toBeGreaterThan(Date.parse('2025-01-01T00:00:20Z'));
    manager.stop();
  });

  it('writes the status when it changes, else at most every 60 s', async () => {
    const { api, clock, manager, setHealth, statusWrites } = setup();
    await manager.register();
    manager.start();
    await settle();
    expect(statusWrites()).toBe(1);
    clock.advance(10_000);
    await settle();
    expect(statusWrites()).toBe(1); // unchanged: no write
    setHealth({ runtime: { ok: false, message: 'engine down' }, podNetwork: { ready: true } });
    manager.requestStatusUpdate();
    await settle();
    expect(statusWrites()).toBe(2);
    const node = api.objects<Node>(NODES)[0]!;
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'KubeletNotReady',
    });
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000);
      await settle();
    }
    expect(statusWrites()).toBe(3); // the 60 s refresh
    manager.stop();
  });
});
