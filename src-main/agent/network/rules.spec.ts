import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  buildProxyRules,
  chainsInSave,
  cleanupText,
  jumpRules,
  planServicePorts,
  restoreText,
  shortHash,
} from './rules';
import type { EndpointSlice, Endpoints, Service } from './types';

const service = (name: string, spec: Service['spec']): Service => ({
  metadata: { name, namespace: 'default' },
  spec,
});
const slice = (
  svc: string,
  name: string,
  endpoints: EndpointSlice['endpoints'],
  port = 80,
  portName?: string,
): EndpointSlice => ({
  metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints,
  ports: [{ ...(portName ? { name: portName } : {}), port, protocol: 'TCP' }],
});
const ready = (ip: string, isReady?: boolean) => ({
  addresses: [ip],
  ...(isReady === undefined ? {} : { conditions: { ready: isReady } }),
});

const base = {
  prefix: 'FLOTILLA',
  masqueradeBit: 14,
  clusterCIDR: '10.244.0.0/16',
  endpoints: [] as Endpoints[],
};

describe('service port plans', () => {
  it('pairs each service port with its ready endpoints from EndpointSlices', () => {
    const plans = planServicePorts({
      services: [
        service('web', {
          type: 'NodePort',
          clusterIP: '10.96.0.10',
          ports: [{ port: 8080, targetPort: 80, nodePort: 30080 }],
        }),
        service('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        service('ext', { type: 'ExternalName', ports: [{ port: 80 }] }),
      ],
      slices: [
        slice('web', 'web-1', [ready('10.244.0.3'), ready('10.244.0.2', true), ready('10.244.0.9', false)]),
        slice('web', 'web-2', [ready('10.244.1.5')]),
        slice('other', 'other-1', [ready('10.244.7.7')]),
      ],
      endpoints: [],
    });
    expect(plans).toEqual([
      {
        key: 'default/web:',
        protocol: 'TCP',
        clusterIP: '10.96.0.10',
        port: 8080,
        nodePort: 30080,
        endpoints: [
          { ip: '10.244.0.2', port: 80 },
          { ip: '10.244.0.3', port: 80 },
          { ip: '10.244.1.5', port: 80 },
        ],
      },
    ]);
  });

  it('matches named ports and falls back to Endpoints only when a service has no slices', () => {
    const plans = planServicePorts({
      services: [
        service('multi', {
          clusterIP: '10.96.0.11',
          ports: [
            { name: 'http', port: 80 },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        }),
        service('legacy', { clusterIP: '10.96.0.12', ports: [{ port: 80 }] }),
      ],
      slices: [slice('multi', 'm', [ready('10.244.0.4')], 8080, 'http')],
      endpoints: [
        {
          metadata: { name: 'legacy', namespace: 'default' },
          subsets: [
            {
              addresses: [{ ip: '10.244.0.6' }],
              notReadyAddresses: [{ ip: '10.244.0.7' }],
              ports: [{ port: 81 }],
            },
          ],
        },
        {
          metadata: { name: 'multi', namespace: 'default' },
          subsets: [{ addresses: [{ ip: '10.244.9.9' }], ports: [{ name: 'http', port: 1 }] }],
        },
      ],
    });
    const byKey = Object.fromEntries(plans.map((p) => [`${p.key}/${p.protocol}`, p.endpoints]));
    expect(byKey['default/multi:http/TCP']).toEqual([{ ip: '10.244.0.4', port: 8080 }]);
    expect(byKey['default/multi:dns/UDP']).toEqual([]);
    expect(byKey['default/legacy:/TCP']).toEqual([{ ip: '10.244.0.6', port: 81 }]);
  });
});

describe('iptables rules', () => {
  const input = {
    ...base,
    services: [
      service('web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 8080, nodePort: 30080 }] }),
      service('empty', { clusterIP: '10.96.0.20', ports: [{ port: 80, protocol: 'UDP' as const }] }),
    ],
    slices: [slice('web', 'w', [ready('10.244.0.2'), ready('10.244.0.3'), ready('10.244.0.4')])],
  };

  it('spreads over the endpoints with random probabilities 1/3, 1/2, then the rest', () => {
    const rules = buildProxyRules(input);
    const svcChain = rules.nat.chains.find((c) => c.startsWith('FLOTILLA-SVC-'))!;
    const jumps = rules.nat.rules.filter((r) => r.startsWith(`-A ${svcChain} `) && r.includes('-SEP-'));
    expect(jumps).toHaveLength(3);
    expect(jumps[0]).toContain('-m statistic --mode random --probability 0.3333333333');
    expect(jumps[1]).toContain('--probability 0.5000000000');
    expect(jumps[2]).not.toContain('statistic');
    const dnats = rules.nat.rules.filter((r) => r.includes('-j DNAT'));
    expect(dnats.map((r) => /--to-destination (\S+)/.exec(r)?.[1])).toEqual([
      '10.244.0.2:80',
      '10.244.0.3:80',
      '10.244.0.4:80',
    ]);
    // Hairpin: an endpoint talking to itself through the service is masqueraded.
    expect(rules.nat.rules.filter((r) => /-s 10\.244\.0\.\d\/32 -j FLOTILLA-MARK-MASQ/.test(r))).toHaveLength(
      3,
    );
    // Traffic from outside the cluster CIDR (the node itself) is masqueraded too.
    expect(rules.nat.rules).toContain(
      `-A ${svcChain} -m comment --comment "default/web: tcp cluster IP" ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 8080 -j FLOTILLA-MARK-MASQ`,
    );
    expect(rules.nat.rules).toContain(
      `-A FLOTILLA-SERVICES -m comment --comment "default/web: tcp cluster IP" -d 10.96.0.10/32 -p tcp -m tcp --dport 8080 -j ${svcChain}`,
    );
  });

  it('sends NodePorts through masquerade to the service chain, and lists node ports last', () => {
    const rules = buildProxyRules(input);
    const np = rules.nat.rules.filter((r) => r.startsWith('-A FLOTILLA-NODEPORTS'));
    expect(np).toHaveLength(2);
    expect(np[0]).toMatch(/-p tcp -m tcp --dport 30080 -j FLOTILLA-MARK-MASQ$/);
    expect(np[1]).toMatch(/--dport 30080 -j FLOTILLA-SVC-/);
    const services = rules.nat.rules.filter((r) => r.startsWith('-A FLOTILLA-SERVICES'));
    expect(services.at(-1)).toContain('-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j FLOTILLA-NODEPORTS');
    expect(rules.nat.rules).toContain('-A FLOTILLA-MARK-MASQ -j MARK --or-mark 0x4000');
    expect(rules.nat.rules).toContain('-A FLOTILLA-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN');
  });

  it('rejects traffic to a service without endpoints, and accepts pod traffic in FORWARD', () => {
    const rules = buildProxyRules(input);
    expect(rules.filter.rules).toContain(
      '-A FLOTILLA-SERVICES -m comment --comment "default/empty: udp has no endpoints" -d 10.96.0.20/32 -p udp -m udp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(rules.nat.rules.some((r) => r.includes('10.96.0.20'))).toBe(false);
    expect(rules.filter.rules).toContain(
      '-A FLOTILLA-FORWARD -m comment --comment "flotilla pod traffic" -s 10.244.0.0/16 -j ACCEPT',
    );
  });

  it('names chains within iptables’ 28-character limit, stably', () => {
    const rules = buildProxyRules({ ...input, prefix: 'ABCDEFGHIJK' });
    for (const c of [...rules.nat.chains, ...rules.filter.chains]) expect(c.length).toBeLessThanOrEqual(28);
    expect(shortHash('x')).toBe(shortHash('x'));
    expect(shortHash('x')).toMatch(/^[A-Z2-7]{12}$/);
    expect(buildProxyRules(input)).toEqual(
      buildProxyRules({ ...input, services: [...input.services].reverse() }),
    );
  });

  it('deletes chains of services that went away in the same restore', () => {
    const rules = buildProxyRules(input);
    const text = restoreText(rules, { nat: ['FLOTILLA-SERVICES', 'FLOTILLA-SVC-OLDOLDOLDOLD'], filter: [] });
    const lines = text.split('\n');
    expect(lines[0]).toBe('*nat');
    expect(lines).toContain(':FLOTILLA-SVC-OLDOLDOLDOLD - [0:0]');
    expect(lines.indexOf('-X FLOTILLA-SVC-OLDOLDOLDOLD')).toBeGreaterThan(
      lines.indexOf(':FLOTILLA-SVC-OLDOLDOLDOLD - [0:0]'),
    );
    expect(lines.filter((l) => l === 'COMMIT')).toHaveLength(2);
    expect(lines).not.toContain('-X FLOTILLA-SERVICES');
    const cleanup = cleanupText({ nat: ['FLOTILLA-SERVICES'], filter: ['FLOTILLA-FORWARD'] });
    expect(cleanup).toContain('-X FLOTILLA-SERVICES');
    expect(cleanup).toContain('-X FLOTILLA-FORWARD');
  });

  it('reads our chains back from iptables-save, ignoring others', () => {
    const save = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':DOCKER - [0:0]',
      ':FLOTILLA-SERVICES - [0:0]',
      ':FLOTILLAX - [0:0]',
      'COMMIT',
    ].join('\n');
    expect(chainsInSave(save, 'FLOTILLA')).toEqual(['FLOTILLA-SERVICES']);
  });

  it('jumps into our chains from the built-in ones', () => {
    const jumps = jumpRules('FLOTILLA');
    expect(jumps.map((j) => `${j.table}/${j.chain}`)).toEqual([
      'nat/PREROUTING',
      'nat/OUTPUT',
      'nat/POSTROUTING',
      'filter/FORWARD',
      'filter/INPUT',
      'filter/FORWARD',
      'filter/OUTPUT',
    ]);
  });

  const canTest = process.getuid?.() === 0 && spawnSync('iptables-restore', ['--version']).status === 0;
  it.skipIf(!canTest)('is accepted by iptables-restore --test (root only)', () => {
    const text = restoreText(buildProxyRules(input), { nat: [], filter: [] });
    const r = spawnSync('iptables-restore', ['--test', '--noflush'], { input: text });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
  });
});
