import { describe, expect, it } from 'vitest';
import { findResourceByKind } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { createFakeKubeApi, waitFor } from '../../shared/kube/testing';
import { ManualClock } from '../clock';
import type { Node } from '../node/types';
import type { Iptables } from './iptables';
import {
  cidrContains,
  desiredRoutes,
  natExemptionArgs,
  natExemptionInPlace,
  parseFdb,
  parseNeighbours,
  parseRouteGet,
  parseRoutes,
  planRoutes,
  PodRoutes,
  removePodRoutes,
  ROUTE_PROTOCOL,
  VXLAN,
  vtepAddress,
  vtepMac,
  vxlanMatches,
} from './routes';
import type { IpCommand } from './routes';

const NODES = findResourceByKind('v1', 'Node') as ResourceInfo;
const CLUSTER = '10.244.0.0/16';

function node(name: string, podCIDR?: string, ip?: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}),
    ...(ip ? { status: { addresses: [{ type: 'InternalIP', address: ip }] } } : {}),
  };
}

describe('desiredRoutes', () => {
  it('routes every other node with a pod CIDR and an InternalIP, and says why others are left out', () => {
    const { routes, skipped } = desiredRoutes(
      [
        node('self', '10.244.0.0/24', '10.77.0.2'),
        node('b', '10.244.2.0/24', '10.77.0.4'),
        node('a', '10.244.1.0/24', '10.77.0.3'),
        node('new'),
        node('noip', '10.244.3.0/24'),
        node('outside', '10.99.0.0/24', '10.77.0.5'),
        node('clash', '10.244.0.128/25', '10.77.0.6'),
      ],
      { nodeName: 'self', clusterCIDR: CLUSTER, ownPodCIDR: '10.244.0.0/24' },
    );
    expect(routes).toEqual([
      { node: 'a', cidr: '10.244.1.0/24', via: '10.77.0.3' },
      { node: 'b', cidr: '10.244.2.0/24', via: '10.77.0.4' },
    ]);
    expect(skipped.map((s) => [s.node, s.reason])).toEqual([
      ['new', 'NoPodCIDR'],
      ['noip', 'NoInternalIP'],
      ['outside', 'OutsideClusterCIDR'],
      ['clash', 'OverlapsOwnPodCIDR'],
    ]);
  });

  it('prefers the IPv4 entry of podCIDRs and of the addresses', () => {
    const n: Node = {
      metadata: { name: 'dual' },
      spec: { podCIDR: 'fd00::/64', podCIDRs: ['fd00::/64', '10.244.5.0/24'] },
      status: {
        addresses: [
          { type: 'InternalIP', address: 'fd00::1' },
          { type: 'InternalIP', address: '10.77.0.9' },
        ],
      },
    };
    expect(desiredRoutes([n], { nodeName: 'x', clusterCIDR: CLUSTER }).routes).toEqual([
      { node: 'dual', cidr: '10.244.5.0/24', via: '10.77.0.9' },
    ]);
  });
});

describe('parsing ip output', () => {
  it('reads our routes', () => {
    expect(
      parseRoutes(
        '10.244.1.0/24 via 10.77.0.3 dev eth0 proto 77 \n10.244.9.0/24 dev eth1 proto 77 scope link\n',
      ),
    ).toEqual([
      { cidr: '10.244.1.0/24', via: '10.77.0.3', dev: 'eth0' },
      { cidr: '10.244.9.0/24', dev: 'eth1' },
    ]);
  });

  it('tells a directly connected peer from one behind a router', () => {
    expect(parseRouteGet('10.77.0.3 dev eth0 src 10.77.0.2 uid 0 \n    cache \n')).toEqual({
      direct: true,
      dev: 'eth0',
      src: '10.77.0.2',
    });
    expect(parseRouteGet('192.168.5.4 via 10.77.0.1 dev eth0 src 10.77.0.2 uid 0\n')).toEqual({
      direct: false,
      dev: 'eth0',
      via: '10.77.0.1',
      src: '10.77.0.2',
    });
  });

  it('checks CIDR containment', () => {
    expect(cidrContains(CLUSTER, '10.244.7.0/24')).toBe(true);
    expect(cidrContains(CLUSTER, '10.245.0.0/24')).toBe(false);
    expect(cidrContains('10.244.0.0/24', CLUSTER)).toBe(false);
    expect(cidrContains(CLUSTER, 'nonsense')).toBe(false);
  });
});

describe('the VXLAN overlay’s pure parts', () => {
  it('derives VTEP MACs and addresses', () => {
    expect(vtepMac('10.77.0.3')).toBe('0e:fa:0a:4d:00:03');
    expect(vtepAddress('10.244.2.0/24')).toBe('10.244.2.0');
    expect(vtepAddress('10.244.2.77/24')).toBe('10.244.2.0');
  });

  it('parses FDB and neighbour listings, and checks the device', () => {
    expect(
      parseFdb(
        '00:00:00:00:00:00 dst 10.77.0.9 self permanent\n0e:fa:0a:4d:00:03 dst 10.77.0.3 self permanent\n',
      ),
    ).toEqual([{ mac: '0e:fa:0a:4d:00:03', dst: '10.77.0.3' }]);
    expect(parseNeighbours('10.244.2.0 lladdr 0e:fa:0a:4d:00:03 PERMANENT\n')).toEqual([
      { ip: '10.244.2.0', mac: '0e:fa:0a:4d:00:03' },
    ]);
    const detail =
      '9: flotilla-vxlan: <UP> mtu 1450\n    link/ether 0e:fa:0a:4d:00:02 brd ff:ff:ff:ff:ff:ff\n    vxlan id 7 local 10.77.0.2 dev eth0 srcport 0 0 dstport 4789 nolearning ttl auto\n';
    expect(vxlanMatches(detail, '10.77.0.2', 'eth0')).toBe(true);
    expect(vxlanMatches(detail, '10.77.0.5', 'eth0')).toBe(false);
    expect(vxlanMatches(detail, '10.77.0.2', 'eth1')).toBe(false);
  });
});

describe('planRoutes', () => {
  it('replaces missing or changed routes and removes those of nodes that left (inside the cluster CIDR only)', () => {
    const plan = planRoutes(
      [
        { node: 'a', cidr: '10.244.1.0/24', via: '10.77.0.3' },
        { node: 'b', cidr: '10.244.2.0/24', via: '10.77.0.9' },
        { node: 'c', cidr: '10.244.3.0/24', via: '10.77.0.5' },
      ],
      [
        { cidr: '10.244.1.0/24', via: '10.77.0.3' },
        { cidr: '10.244.2.0/24', via: '10.77.0.4' },
        { cidr: '10.244.4.0/24', via: '10.77.0.6' },
        { cidr: '192.168.0.0/24', via: '10.77.0.6' },
      ],
      CLUSTER,
    );
    expect(plan.replace.map((r) => r.node)).toEqual(['b', 'c']);
    expect(plan.remove).toEqual([{ cidr: '10.244.4.0/24', via: '10.77.0.6' }]);
  });
});

describe('the NAT exemption', () => {
  const ours = `-A POSTROUTING ${natExemptionArgs(CLUSTER, 14)
    .map((a) => (a.includes(' ') ? `"${a}"` : a))
    .join(' ')}`;
  const dockerMasq = '-A POSTROUTING -s 10.244.0.0/24 ! -o flotilla0 -j MASQUERADE';
  const jump = '-A POSTROUTING -m comment --comment "flotilla postrouting rules" -j FLOTILLA-POSTROUTING';

  it('skips packets marked for masquerade (hairpin through a Service)', () => {
    expect(natExemptionArgs(CLUSTER, 14).join(' ')).toContain('! --mark 0x4000/0x4000');
  });

  it('is in place only once and above every MASQUERADE rule', () => {
    expect(natExemptionInPlace(['*nat', jump, ours, dockerMasq].join('\n'), CLUSTER)).toBe(true);
    expect(natExemptionInPlace(['*nat', jump, dockerMasq].join('\n'), CLUSTER)).toBe(false);
    expect(natExemptionInPlace(['*nat', dockerMasq, ours].join('\n'), CLUSTER)).toBe(false);
    expect(natExemptionInPlace(['*nat', ours, ours, dockerMasq].join('\n'), CLUSTER)).toBe(false);
    expect(natExemptionInPlace(['*nat', ours].join('\n'), CLUSTER)).toBe(true);
  });
});

/** ip and iptables in memory: a routing table of ours, and nat/POSTROUTING as a list of rules. */
function fakeHost(unreachable = new Set<string>()) {
  const table = new Map<string, string>();
  const devOf = new Map<string, string>();
  const vxlan = {
    exists: false,
    detail: '',
    neigh: new Map<string, string>(),
    fdb: new Map<string, string>(),
  };
  let postrouting = ['-s 10.244.0.0/24 ! -o flotilla0 -j MASQUERADE'];
  const calls: string[] = [];
  const ip: IpCommand = async (args) => {
    calls.push(args.join(' '));
    if (args[1] === 'route' && args[2] === 'get') {
      const peer = args[3] ?? '';
      const stdout = unreachable.has(peer)
        ? `${peer} via 10.77.0.1 dev eth0 src 10.77.0.2\n`
        : `${peer} dev eth0 src 10.77.0.2\n`;
      return { code: 0, stdout, stderr: '' };
    }
    if (args[1] === 'route' && args[2] === 'show') {
      const stdout = [...table]
        .map(([c, v]) => `${c} via ${v} dev ${devOf.get(c) ?? 'eth0'} proto ${ROUTE_PROTOCOL}\n`)
        .join('');
      return { code: 0, stdout, stderr: '' };
    }
    if (args[0] === 'route' && args[1] === 'replace') {
      table.set(args[2] as string, args[4] as string);
      if (args[5] === 'dev') devOf.set(args[2] as string, args[6] as string);
      else devOf.delete(args[2] as string);
      return { code: 0, stdout: '', stderr: '' };
    }
    if (args[0] === 'route' && args[1] === 'del') {
      return { code: table.delete(args[2] as string) ? 0 : 2, stdout: '', stderr: 'No such process' };
    }
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
    const missing = { code: 1, stdout: '', stderr: 'Device does not exist' };
    const cmd = args.join(' ');
    if (cmd === `-d link show ${VXLAN.device}` || cmd === `link show ${VXLAN.device}`)
      return vxlan.exists ? ok(vxlan.detail) : missing;
    if (cmd === '-o link show eth0') return ok('2: eth0@if9: <UP> mtu 1500 qdisc noqueue\n');
    if (cmd.startsWith(`link add ${VXLAN.device} type vxlan`)) {
      vxlan.exists = true;
      const local = args[args.indexOf('local') + 1] as string;
      vxlan.detail = `9: ${VXLAN.device}: mtu 1500\n    link/ether 00:00:00:00:00:01 brd ff\n    vxlan id 7 local ${local} dev eth0 srcport 0 0 dstport 4789 nolearning \n`;
      return ok();
    }
    if (cmd.startsWith(`link set ${VXLAN.device} address`)) {
      vxlan.detail = vxlan.detail.replace(/link\/ether \S+/, `link/ether ${args[4] as string}`);
      return ok();
    }
    if (cmd === `link del ${VXLAN.device}`) {
      if (!vxlan.exists) return missing;
      vxlan.exists = false;
      vxlan.neigh.clear();
      vxlan.fdb.clear();
      for (const [c, d] of devOf) {
        if (d !== VXLAN.device) continue;
        table.delete(c);
        devOf.delete(c);
      }
      return ok();
    }
    if (!vxlan.exists && cmd.includes(VXLAN.device)) return missing;
    if (cmd.startsWith('link set') || cmd.startsWith('addr replace')) return ok();
    if (args[0] === 'neigh' && args[1] === 'replace') vxlan.neigh.set(args[2] as string, args[4] as string);
    if (args[0] === 'neigh' && args[1] === 'del') vxlan.neigh.delete(args[2] as string);
    if (args[0] === 'neigh' && args[1] === 'show')
      return ok([...vxlan.neigh].map(([i, m]) => `${i} lladdr ${m} PERMANENT\n`).join(''));
    if (args[0] === 'fdb' && args[1] === 'replace') vxlan.fdb.set(args[2] as string, args[6] as string);
    if (args[0] === 'fdb' && args[1] === 'del') vxlan.fdb.delete(args[2] as string);
    if (args[0] === 'fdb' && args[1] === 'show')
      return ok([...vxlan.fdb].map(([m, d]) => `${m} dst ${d} self permanent\n`).join(''));
    if (args[0] === 'neigh' || args[0] === 'fdb') return ok();
    return { code: 1, stdout: '', stderr: `unexpected ip ${args.join(' ')}` };
  };
  const quote = (a: string) => (a.includes(' ') ? `"${a}"` : a);
  const ipt: Iptables = {
    async restore() {},
    async save() {
      return ['*nat', ...postrouting.map((r) => `-A POSTROUTING ${r}`), 'COMMIT'].join('\n');
    },
    async run(args) {
      const [, , op, , ...rest] = args;
      if (op === '-I') {
        postrouting = [rest.slice(1).map(quote).join(' '), ...postrouting];
        return { code: 0, stderr: '' };
      }
      if (op === '-D') {
        const rule = rest.map(quote).join(' ');
        const i = postrouting.indexOf(rule);
        if (i < 0) return { code: 1, stderr: 'Bad rule' };
        postrouting.splice(i, 1);
        return { code: 0, stderr: '' };
      }
      return { code: 0, stderr: '' };
    },
  };
  return { ip, ipt, table, devOf, vxlan, calls, rules: () => postrouting };
}

describe('PodRoutes', () => {
  it('follows nodes joining, moving and leaving; reports peers it cannot route to; cleans up', async () => {
    const api = createFakeKubeApi();
    const host = fakeHost(new Set(['192.168.9.9']));
    await api.create(NODES, node('self', '10.244.0.0/24', '10.77.0.2'));
    await api.create(NODES, node('a', '10.244.1.0/24', '10.77.0.3'));
    const reports: string[] = [];
    const routes = new PodRoutes({
      api,
      nodeName: 'self',
      clusterCIDR: CLUSTER,
      podCIDR: '10.244.0.0/24',
      masqueradeBit: 14,
      ip: host.ip,
      iptables: host.ipt,
      syncDelayMs: 1,
      onUnreachable: (n, m) => reports.push(`${n}: ${m}`),
    });
    expect(await routes.start()).toEqual({ ready: true });
    expect([...host.table]).toEqual([['10.244.1.0/24', '10.77.0.3']]);
    expect(natExemptionInPlace(await host.ipt.save('nat'), CLUSTER)).toBe(true);

    await api.create(NODES, node('b', '10.244.2.0/24', '10.77.0.4'));
    await api.create(NODES, node('far', '10.244.3.0/24', '192.168.9.9'));
    await waitFor(() => host.table.has('10.244.2.0/24'), 'route to b');
    await waitFor(() => reports.length > 0, 'far reported');
    // Without this node's own address there is no overlay either: reported, no route.
    expect(reports[0]).toMatch(/^far: .*not on a directly connected network.*no VXLAN overlay/);
    expect(host.table.has('10.244.3.0/24')).toBe(false);

    // Re-syncing changes nothing and does not report again.
    const before = host.calls.filter((c) => c.startsWith('route replace')).length;
    await routes.syncNow();
    expect(host.calls.filter((c) => c.startsWith('route replace')).length).toBe(before);
    expect(reports.length).toBe(1);

    await api.patch(
      NODES,
      'b',
      undefined,
      { status: { addresses: [{ type: 'InternalIP', address: '10.77.0.8' }] } },
      'merge',
      'status',
    );
    await waitFor(
      () => host.table.get('10.244.2.0/24') === '10.77.0.8',
      'route to b follows its new address',
    );
    await api.delete(NODES, 'a');
    await waitFor(() => !host.table.has('10.244.1.0/24'), 'route to a removed');

    routes.stop();
    expect(host.table.size).toBe(1); // stopping leaves routes in place
    expect(
      await removePodRoutes({ clusterCIDR: CLUSTER, masqueradeBit: 14, ip: host.ip, iptables: host.ipt }),
    ).toBe(1);
    expect(host.table.size).toBe(0);
    expect(host.rules()).toEqual(['-s 10.244.0.0/24 ! -o flotilla0 -j MASQUERADE']);
    // Idempotent.
    expect(
      await removePodRoutes({ clusterCIDR: CLUSTER, masqueradeBit: 14, ip: host.ip, iptables: host.ipt }),
    ).toBe(0);
  });

  it('reaches a peer behind a router over VXLAN, and drops the overlay when it is no longer needed', async () => {
    const api = createFakeKubeApi();
    const unreachable = new Set(['192.168.9.9', '192.168.9.10']);
    const host = fakeHost(unreachable);
    await api.create(NODES, node('self', '10.244.0.0/24', '10.77.0.2'));
    await api.create(NODES, node('far', '10.244.3.0/24', '192.168.9.9'));
    await api.create(NODES, node('far2', '10.244.4.0/24', '192.168.9.10'));
    await api.create(NODES, node('near', '10.244.1.0/24', '10.77.0.3'));
    const routes = new PodRoutes({
      api,
      nodeName: 'self',
      clusterCIDR: CLUSTER,
      podCIDR: '10.244.0.0/24',
      nodeIP: '10.77.0.2',
      masqueradeBit: 14,
      ip: host.ip,
      iptables: host.ipt,
      syncDelayMs: 1,
    });
    await routes.start();
    expect(host.vxlan.exists).toBe(true);
    expect(vxlanMatches(host.vxlan.detail, '10.77.0.2', 'eth0')).toBe(true);
    expect(host.table.get('10.244.1.0/24')).toBe('10.77.0.3');
    expect(host.devOf.get('10.244.1.0/24')).toBeUndefined();
    expect(host.table.get('10.244.3.0/24')).toBe('10.244.3.0');
    expect(host.devOf.get('10.244.3.0/24')).toBe(VXLAN.device);
    expect(host.calls).toContain(
      `route replace 10.244.3.0/24 via 10.244.3.0 dev ${VXLAN.device} onlink proto ${ROUTE_PROTOCOL}`,
    );
    expect([...host.vxlan.neigh]).toEqual([
      ['10.244.3.0', vtepMac('192.168.9.9')],
      ['10.244.4.0', vtepMac('192.168.9.10')],
    ]);
    expect(host.vxlan.fdb.get(vtepMac('192.168.9.9'))).toBe('192.168.9.9');

    // One overlay peer leaves: its neighbour and FDB entries go, the device stays.
    await api.delete(NODES, 'far2');
    await waitFor(() => !host.table.has('10.244.4.0/24'), 'route to far2 removed');
    await waitFor(() => !host.vxlan.fdb.has(vtepMac('192.168.9.10')), 'far2 FDB entry removed');
    expect([...host.vxlan.neigh.keys()]).toEqual(['10.244.3.0']);

    // The last one becomes directly reachable: host-gw route, device removed.
    unreachable.clear();
    await routes.syncNow();
    expect(host.table.get('10.244.3.0/24')).toBe('192.168.9.9');
    expect(host.devOf.get('10.244.3.0/24')).toBeUndefined();
    expect(host.vxlan.exists).toBe(false);
    routes.stop();
  });

  it('uses the overlay for a directly connected peer it reaches from an address other than its own', async () => {
    // This node's address (192.0.2.2) is not on the peers' network (10.77.0.0/24): they reach it
    // through a router, so they use VXLAN to it, and it must use VXLAN to them as well.
    const api = createFakeKubeApi();
    const host = fakeHost();
    await api.create(NODES, node('self', '10.244.0.0/24', '192.0.2.2'));
    await api.create(NODES, node('vm', '10.244.1.0/24', '10.77.0.3'));
    const modes: string[] = [];
    const routes = new PodRoutes({
      api,
      nodeName: 'self',
      clusterCIDR: CLUSTER,
      podCIDR: '10.244.0.0/24',
      nodeIP: '192.0.2.2',
      masqueradeBit: 14,
      ip: host.ip,
      iptables: host.ipt,
      syncDelayMs: 1,
      log: (m) => modes.push(m),
    });
    await routes.start();
    expect(host.devOf.get('10.244.1.0/24')).toBe(VXLAN.device);
    expect(host.table.get('10.244.1.0/24')).toBe('10.244.1.0');
    expect(vxlanMatches(host.vxlan.detail, '192.0.2.2', 'eth0')).toBe(true);
    expect(modes.some((m) => /from 10\.77\.0\.2, not this node's address 192\.0\.2\.2/.test(m))).toBe(true);
    routes.stop();
  });

  it('moves the exemption back above a MASQUERADE rule inserted before it', async () => {
    const api = createFakeKubeApi();
    const host = fakeHost();
    const routes = new PodRoutes({
      api,
      nodeName: 'self',
      clusterCIDR: CLUSTER,
      podCIDR: '10.244.0.0/24',
      masqueradeBit: 14,
      ip: host.ip,
      iptables: host.ipt,
    });
    await routes.start();
    routes.stop();
    host.rules().unshift('-s 10.244.0.0/24 ! -o flotilla0 -j MASQUERADE'); // a Docker restart
    expect(natExemptionInPlace(await host.ipt.save('nat'), CLUSTER)).toBe(false);
    await routes.syncNow();
    expect(natExemptionInPlace(await host.ipt.save('nat'), CLUSTER)).toBe(true);
    expect(host.rules().filter((r) => r.includes('keeps pod IPs'))).toHaveLength(1);
  });

  it('reports a failed sync and retries it after a delay, not in a tight loop', async () => {
    const api = createFakeKubeApi();
    const host = fakeHost();
    await api.create(NODES, node('self', '10.244.0.0/24', '10.77.0.2'));
    await api.create(NODES, node('a', '10.244.1.0/24', '10.77.0.3'));
    let failing = true;
    let listings = 0;
    const ip: IpCommand = async (args, tool) => {
      if (args[1] === 'route' && args[2] === 'show') {
        listings++;
        if (failing) return { code: 2, stdout: '', stderr: 'RTNETLINK answers: Device or resource busy' };
      }
      return host.ip(args, tool);
    };
    const clock = new ManualClock();
    const routes = new PodRoutes({
      api,
      nodeName: 'self',
      clusterCIDR: CLUSTER,
      podCIDR: '10.244.0.0/24',
      masqueradeBit: 14,
      ip,
      iptables: host.ipt,
      clock,
    });
    expect(await routes.start()).toMatchObject({ ready: false, reason: 'SyncFailed' });
    expect(routes.health).toMatchObject({ message: expect.stringMatching(/resource busy/) });
    expect(listings).toBe(1);
    expect(host.table.size).toBe(0);

    failing = false;
    clock.advance(1_999);
    expect(listings).toBe(1);
    clock.advance(1);
    await waitFor(() => routes.health.ready, 'the retry to succeed');
    expect(listings).toBe(2);
    expect([...host.table]).toEqual([['10.244.1.0/24', '10.77.0.3']]);
    routes.stop();
  });
});
