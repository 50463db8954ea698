// Node IPAM against the real control plane: 50 Nodes created at once all get distinct /24s from
// 10.244.0.0/16; a restarted controller rebuilds its pool from the Nodes and never hands out a taken
// subnet; a full range is reported with a CIDRAssignmentFailed Event and the waiting node gets the
// subnet a deleted node releases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { createNodeIpamController } from '../src-main/control-plane/controllers/nodeipam';
import type { NodeIpamOptions } from '../src-main/control-plane/controllers/nodeipam';
import type { Node } from '../src-main/control-plane/controllers/nodelifecycle/types';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { CoreEvent } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import type { KubeApi } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';

const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const NODES = r('nodes');
const EVENTS = r('events');

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
const log = testLogger();

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
});

afterAll(async () => {
  transport?.close();
  await cp?.dispose();
});

function ipam(options: NodeIpamOptions = {}): Promise<ControllerManager> {
  return startControllerManager({
    api,
    log,
    controllers: ['nodeipam'],
    registry: { nodeipam: (ctx) => createNodeIpamController(ctx, options) },
  });
}

const createNode = (name: string) =>
  api.create<Node>(NODES, { metadata: { name, labels: { suite: 'ipam' } } });

async function cidrs(prefix: string, count: number): Promise<Map<string, string>> {
  return waitFor(
    async () => {
      const nodes = (await api.list<Node>(NODES)).items.filter((n) => n.metadata.name.startsWith(prefix));
      const withCidr = nodes.filter((n) => n.spec?.podCIDR);
      if (withCidr.length !== count) return undefined;
      return new Map(withCidr.map((n) => [n.metadata.name, n.spec?.podCIDR as string]));
    },
    `${count} ${prefix}* nodes with a pod CIDR`,
    20_000,
    50,
  );
}

describe('node IPAM', () => {
  it('gives 50 concurrently created nodes distinct /24s, and a restarted controller never reuses one', async () => {
    let manager = await ipam();
    await Promise.all(Array.from({ length: 50 }, (_, i) => createNode(`burst-${i}`)));
    const first = await cidrs('burst-', 50);
    const values = [...first.values()];
    expect(new Set(values).size).toBe(50);
    for (const c of values) expect(c).toMatch(/^10\.244\.\d{1,3}\.0\/24$/);
    const node = await api.get<Node>(NODES, 'burst-0');
    expect(node.spec?.podCIDRs).toEqual([node.spec?.podCIDR]);

    await manager.stop();
    manager = await ipam();
    await Promise.all(Array.from({ length: 10 }, (_, i) => createNode(`later-${i}`)));
    const later = [...(await cidrs('later-', 10)).values()];
    expect(new Set([...values, ...later]).size).toBe(60);
    await manager.stop();
  });

  it('reports a full range and hands a released subnet to the node that waited', async () => {
    // A /22 holds four /24s.
    const manager = await ipam({ clusterCIDR: '10.250.0.0/22', nodeCIDRMaskSize: 24 });
    try {
      for (let i = 0; i < 4; i++) await createNode(`small-${i}`);
      const taken = await cidrs('small-', 4);
      expect([...taken.values()].sort()).toEqual([
        '10.250.0.0/24',
        '10.250.1.0/24',
        '10.250.2.0/24',
        '10.250.3.0/24',
      ]);
      await createNode('small-x');
      const ev = await waitFor(
        async () =>
          (await api.list<CoreEvent>(EVENTS, { namespace: 'default' })).items.find(
            (e) => e.reason === 'CIDRAssignmentFailed' && e.involvedObject.name === 'small-x',
          ),
        'a CIDRAssignmentFailed event',
        10_000,
        50,
      );
      expect(ev.type).toBe('Warning');
      expect(ev.source?.component).toBe('node-ipam-controller');
      await api.delete(NODES, 'small-2');
      const got = await waitFor(
        async () => (await api.get<Node>(NODES, 'small-x')).spec?.podCIDR,
        'the waiting node to get the released subnet',
        10_000,
        50,
      );
      expect(got).toBe(taken.get('small-2'));
    } finally {
      await manager.stop();
    }
  });
});
