/* eslint-disable @typescript-eslint/no-explicit-any -- the specs poke into loosely typed JSON objects */
import { describe, expect, it } from 'vitest';
import { serviceStrategy } from './service';
import { ago, messages, NOW } from './testing';
import type { KubeObject } from './types';

function svc(spec: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(30_000) },
    spec,
    ...extra,
  };
}

const defaulted = (s: KubeObject) => {
  serviceStrategy.defaults!(s);
  return s;
};

describe('Service defaults', () => {
  it('ClusterIP service', () => {
    const s = defaulted(svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }));
    expect(s.spec).toEqual({
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  it('NodePort gets externalTrafficPolicy; LoadBalancer allocateLoadBalancerNodePorts; clusterIP mirrors clusterIPs', () => {
    const np = defaulted(
      svc({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, targetPort: 'http' }] }),
    );
    expect(np.spec).toMatchObject({
      externalTrafficPolicy: 'Cluster',
      clusterIPs: ['10.96.0.10'],
      ports: [{ targetPort: 'http' }],
    });
    const lb = defaulted(svc({ type: 'LoadBalancer', ports: [{ port: 443 }] }));
    expect(lb.spec).toMatchObject({ allocateLoadBalancerNodePorts: true, externalTrafficPolicy: 'Cluster' });
    const ext = defaulted(svc({ type: 'ExternalName', externalName: 'example.com' }));
    expect((ext.spec as any).ipFamilies).toBeUndefined();
    expect((ext.spec as any).internalTrafficPolicy).toBeUndefined();
  });

  it('ClientIP affinity gets the 3h timeout', () => {
    const s = defaulted(svc({ sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }));
    expect((s.spec as any).sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });
});

describe('Service validation', () => {
  const validate = (spec: Record<string, unknown>, name = 'web') => {
    const s = defaulted(svc(spec));
    s.metadata!.name = name;
    return messages(serviceStrategy.validateCreate!(s));
  };

  it('accepts valid services, headless without ports and ExternalName', () => {
    expect(validate({ selector: { app: 'web' }, ports: [{ port: 80 }] })).toEqual([]);
    expect(validate({ clusterIP: 'None', selector: { app: 'web' } })).toEqual([]);
    expect(validate({ type: 'ExternalName', externalName: 'db.example.com' })).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['ports required', { selector: { app: 'x' } }, 'spec.ports: Required value'],
    [
      'port range',
      { ports: [{ port: 0 }] },
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ],
    [
      'names required with several ports',
      { ports: [{ port: 80, name: 'http' }, { port: 443 }] },
      'spec.ports[1].name: Required value',
    ],
    [
      'unique names',
      {
        ports: [
          { port: 80, name: 'http' },
          { port: 81, name: 'http' },
        ],
      },
      'spec.ports[1].name: Duplicate value: "http"',
    ],
    [
      'unique port/protocol',
      {
        ports: [
          { port: 80, name: 'a' },
          { port: 80, name: 'b' },
        ],
      },
      'spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}',
    ],
    [
      'type enum',
      { type: 'Magic', ports: [{ port: 80 }] },
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ],
    [
      'nodePort range',
      { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] },
      'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ],
    [
      'no nodePort on ClusterIP',
      { ports: [{ port: 80, nodePort: 30080 }] },
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ],
    [
      'selector labels',
      { selector: { app: 'bad value' }, ports: [{ port: 80 }] },
      'spec.selector: Invalid value: "bad value": a valid label must be an empty string',
    ],
    [
      'protocol enum',
      { ports: [{ port: 80, protocol: 'HTTP' }] },
      'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ],
    [
      'clusterIP format',
      { clusterIP: '10.0.0.999', ports: [{ port: 80 }] },
      'spec.clusterIPs[0]: Invalid value: "10.0.0.999": must be a valid IP address',
    ],
    [
      'headless NodePort',
      { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] },
      'spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services',
    ],
    ['externalName required', { type: 'ExternalName' }, 'spec.externalName: Required value'],
  ])('%s', (_name, spec, expected) => {
    expect(validate(spec).some((m) => m.startsWith(expected))).toBe(true);
  });

  it('names are DNS-1035 labels', () => {
    expect(validate({ ports: [{ port: 80 }] }, '1web')[0]).toMatch(
      /^metadata\.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
  });
});

describe('Service updates', () => {
  const stored = () =>
    defaulted(svc({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] }));

  it('a manifest without allocated values keeps them (kubectl replace)', () => {
    const old = stored();
    const next = defaulted(svc({ type: 'NodePort', ports: [{ port: 80 }] }));
    expect(messages(serviceStrategy.validateUpdate!(next, old))).toEqual([]);
    expect(next.spec).toMatchObject({
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ port: 80, nodePort: 30080 }],
    });
  });

  it('the cluster IP may not change once set', () => {
    const old = stored();
    const next = structuredClone(old);
    (next.spec as any).clusterIP = '10.96.0.11';
    (next.spec as any).clusterIPs = ['10.96.0.11'];
    expect(messages(serviceStrategy.validateUpdate!(next, old))).toEqual([
      'spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set',
    ]);
  });
});

describe('Service rows', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, unknown[]]>([
    [
      'ClusterIP',
      {
        type: 'ClusterIP',
        clusterIPs: ['10.96.0.10'],
        ports: [{ port: 80, protocol: 'TCP' }],
        selector: { app: 'web' },
      },
      undefined,
      ['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '30s', 'app=web'],
    ],
    [
      'NodePort',
      {
        type: 'NodePort',
        clusterIPs: ['10.96.0.11'],
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
      },
      undefined,
      ['web', 'NodePort', '10.96.0.11', '<none>', '80:30080/TCP,53/UDP', '30s', '<none>'],
    ],
    [
      'LoadBalancer pending',
      {
        type: 'LoadBalancer',
        clusterIPs: ['10.96.0.12'],
        ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }],
      },
      {},
      ['web', 'LoadBalancer', '10.96.0.12', '<pending>', '443:31443/TCP', '30s', '<none>'],
    ],
    [
      'LoadBalancer with ingress',
      { type: 'LoadBalancer', clusterIPs: ['10.96.0.12'], ports: [] },
      { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
      ['web', 'LoadBalancer', '10.96.0.12', '203.0.113.7', '<none>', '30s', '<none>'],
    ],
    [
      'ExternalName',
      { type: 'ExternalName', externalName: 'db.example.com' },
      undefined,
      ['web', 'ExternalName', '<none>', 'db.example.com', '<none>', '30s', '<none>'],
    ],
    [
      'headless',
      { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [] },
      undefined,
      ['web', 'ClusterIP', 'None', '<none>', '<none>', '30s', '<none>'],
    ],
  ])('%s', (_name, spec, status, expected) => {
    expect(serviceStrategy.row(svc(spec, status ? { status } : {}), NOW)).toEqual(expected);
  });
});
