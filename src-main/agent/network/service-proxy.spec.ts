import { describe, expect, it } from 'vitest';
import { findResourceByKind } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { createFakeKubeApi, waitFor } from '../../shared/kube/testing';
import type { Iptables } from './iptables';
import { ServiceProxy } from './service-proxy';
import type { ProxyHealth } from './service-proxy';

const SERVICES = findResourceByKind('v1', 'Service') as ResourceInfo;
const SLICES = findResourceByKind('discovery.k8s.io/v1', 'EndpointSlice') as ResourceInfo;

/** iptables in memory: restore texts applied, chains declared, jump rules present. */
function fakeIptables() {
  const chains = { nat: new Set<string>(), filter: new Set<string>() };
  const jumps = new Set<string>();
  const restores: string[] = [];
  const ipt: Iptables = {
    async restore(text) {
      restores.push(text);
      let table: 'nat' | 'filter' = 'nat';
      for (const line of text.split('\n')) {
        if (line === '*nat' || line === '*filter') table = line.slice(1) as 'nat' | 'filter';
        const declared = /^:(\S+) /.exec(line)?.[1];
        if (declared) chains[table].add(declared);
        const deleted = /^-X (\S+)$/.exec(line)?.[1];
        if (deleted) chains[table].delete(deleted);
      }
    },
    async save(table) {
      return [`*${table}`, ...[...chains[table]].map((c) => `:${c} - [0:0]`), 'COMMIT'].join('\n');
    },
    async run(args) {
      const [, table, op, chain, ...rest] = args;
      const key = `${table}/${chain}/${rest.join(' ')}`;
      if (op === '-C') return { code: jumps.has(key) ? 0 : 1, stderr: '' };
      if (op === '-I') {
        jumps.add(`${table}/${chain}/${rest.slice(1).join(' ')}`);
        return { code: 0, stderr: '' };
      }
      if (op === '-D') return { code: jumps.delete(key) ? 0 : 1, stderr: '' };
      return { code: 0, stderr: '' };
    },
  };
  return { ipt, chains, jumps, restores };
}

describe('ServiceProxy', () => {
  it('reports clearly, and touches nothing, when the agent is not root', async () => {
    const { ipt, restores } = fakeIptables();
    const seen: ProxyHealth[] = [];
    const proxy = new ServiceProxy({
      api: createFakeKubeApi(),
      prefix: 'T',
      masqueradeBit: 14,
      clusterCIDR: '10.244.0.0/16',
      bridgeName: 'none0',
      iptables: ipt,
      privileged: false,
      onHealth: (h) => seen.push(h),
    });
    const health = await proxy.start();
    expect(health).toMatchObject({ ready: false, reason: 'NotRoot' });
    expect(seen).toEqual([health]);
    expect(restores).toEqual([]);
  });

  it('installs chains and jumps, follows Service and EndpointSlice changes, and removes everything on uninstall', async () => {
    const api = createFakeKubeApi();
    api.seed(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }] },
    });
    const { ipt, chains, jumps, restores } = fakeIptables();
    const proxy = new ServiceProxy({
      api,
      prefix: 'T',
      masqueradeBit: 14,
      clusterCIDR: '10.244.0.0/16',
      bridgeName: 'none0',
      iptables: ipt,
      privileged: true,
      syncDelayMs: 0,
    });
    expect(await proxy.start()).toEqual({ ready: true });
    expect(jumps.size).toBe(7);
    expect(restores.at(-1)).toContain('-d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j REJECT');

    api.seed(SLICES, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.5'] }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    });
    await waitFor(
      () => restores.at(-1)?.includes('-j DNAT --to-destination 10.244.0.5:8080'),
      'the DNAT rule',
    );
    const svcChains = () => [...chains.nat].filter((c) => c.startsWith('T-SVC-') || c.startsWith('T-SEP-'));
    expect(svcChains()).toHaveLength(2);

    const restoresBefore = restores.length;
    await api.delete(SERVICES, 'web', 'default');
    // The service's chains are deleted in the same restore that drops its rules (a later resync may
    // follow it, so look at every restore since the delete).
    await waitFor(() => svcChains().length === 0, 'the service chains to be deleted');
    const deleting = restores.slice(restoresBefore).find((text) => /-X T-SVC-/.test(text));
    expect(deleting).toBeDefined();
    expect(deleting).not.toMatch(/-A T-SVC-/);

    await proxy.uninstall();
    expect(jumps.size).toBe(0);
    expect(chains.nat.size + chains.filter.size).toBe(0);
  });
});
