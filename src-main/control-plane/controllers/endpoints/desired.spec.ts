import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../shared/kube/objects';
import { desiredSlices } from '../endpointslice/controller';
import { computeSubsets, endpointsLabels } from './controller';
import { compareIPs, podEndpoint, resolveTargetPort } from './desired';
import type { Service } from './desired';

const svc = (extra: Partial<NonNullable<Service['spec']>> = {}): Service => ({
  metadata: { name: 'api', namespace: 'ns', labels: { team: 'a' } },
  spec: { selector: { app: 'api' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }], ...extra },
});

function pod(
  name: string,
  ip: string | undefined,
  ready: boolean,
  port = 8080,
  extra: Partial<Pod['metadata']> = {},
): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'api' }, ...extra },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: port }] }] },
    status: {
      phase: 'Running',
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

describe('endpoints from pods', () => {
  it('resolves targetPort as a number, a name, or the service port', () => {
    const p = pod('a', '10.0.0.1', true);
    expect(resolveTargetPort(p, { port: 80, targetPort: 'http' })).toBe(8080);
    expect(resolveTargetPort(p, { port: 80, targetPort: 9000 })).toBe(9000);
    expect(resolveTargetPort(p, { port: 80 })).toBe(80);
    expect(resolveTargetPort(p, { port: 80, targetPort: 'metrics' })).toBeUndefined();
    expect(resolveTargetPort(p, { port: 80, targetPort: 'http', protocol: 'UDP' })).toBeUndefined();
  });

  it('splits ready from not-ready, skips pods without IP, finished or being deleted, groups by port', () => {
    const pods = [
      pod('a', '10.0.0.10', true),
      pod('b', '10.0.0.9', false),
      pod('c', undefined, true),
      pod('d', '10.0.0.4', true, 9090),
      pod('e', '10.0.0.5', true, 8080, { deletionTimestamp: '2030-01-01T00:00:00Z' }),
      { ...pod('f', '10.0.0.6', true), status: { phase: 'Succeeded', podIP: '10.0.0.6' } } as Pod,
      { ...pod('g', '10.0.0.7', true), metadata: { name: 'g', namespace: 'ns', labels: { app: 'other' } } },
    ];
    const subsets = computeSubsets(svc(), pods);
    expect(subsets).toEqual([
      {
        addresses: [
          {
            ip: '10.0.0.10',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.9',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'uid-b' },
          },
        ],
        ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [expect.objectContaining({ ip: '10.0.0.4' })],
        ports: [{ name: 'web', port: 9090, protocol: 'TCP' }],
      },
    ]);
    // publishNotReadyAddresses: everything with an IP is ready, even terminating pods.
    const all = computeSubsets(svc({ publishNotReadyAddresses: true }), pods);
    expect(all[0]?.addresses?.map((a) => a.ip)).toEqual(['10.0.0.5', '10.0.0.9', '10.0.0.10']);
    expect(endpointsLabels(svc({ clusterIP: 'None' }))).toEqual({
      team: 'a',
      'service.kubernetes.io/headless': '',
    });
  });

  it('keeps terminating pods in slices as terminating, chunks slices, and keeps a placeholder', () => {
    const terminating = podEndpoint(
      svc(),
      pod('e', '10.0.0.5', true, 8080, { deletionTimestamp: 'x' }),
      true,
    );
    expect(terminating).toMatchObject({ ready: false, serving: true, terminating: true });
    const many = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, `10.0.0.${i + 1}`, i % 2 === 0));
    const slices = desiredSlices(svc(), many, 2);
    expect(slices.map((s) => s.endpoints.length)).toEqual([2, 2, 1]);
    expect(slices[0]?.endpoints[1]).toEqual({
      addresses: ['10.0.0.2'],
      conditions: { ready: false, serving: false, terminating: false },
      nodeName: 'n1',
      targetRef: { kind: 'Pod', namespace: 'ns', name: 'p1', uid: 'uid-p1' },
    });
    expect(desiredSlices(svc(), [], 100)).toEqual([{ key: '[]', ports: [], endpoints: [] }]);
  });

  it('orders IPs numerically', () => {
    expect(['10.0.0.10', '10.0.0.9', '9.1.1.1'].sort(compareIPs)).toEqual([
      '9.1.1.1',
      '10.0.0.9',
      '10.0.0.10',
    ]);
  });
});
