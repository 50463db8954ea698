import { describe, expect, it } from 'vitest';
import type { Node, SchedulingSpec } from '../../../shared/kube/objects';
import { scaled, templateHash } from './controller';
import { nodeEligibility, pinToNode, targetNodeOf, withDaemonTolerations } from './eligibility';

const node = (
  name: string,
  labels: Record<string, string> = {},
  taints: NonNullable<Node['spec']>['taints'] = [],
): Node => ({
  metadata: { name, labels: { 'kubernetes.io/os': 'linux', ...labels } },
  spec: { taints },
});

describe('DaemonSet node eligibility', () => {
  it('honours nodeSelector, required affinity and nodeName', () => {
    const spec: SchedulingSpec = {
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['edge'] }] }],
          },
        },
      },
    };
    expect(nodeEligibility(node('a'), spec).shouldRun).toBe(true);
    expect(nodeEligibility(node('b', { role: 'edge' }), spec)).toMatchObject({
      shouldRun: false,
      shouldContinueRunning: false,
    });
    expect(nodeEligibility(node('c', { 'kubernetes.io/os': 'windows' }), spec).shouldRun).toBe(false);
    expect(nodeEligibility(node('d'), { nodeName: 'a' }).shouldRun).toBe(false);
    const gt: SchedulingSpec = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['3'] }] }],
          },
        },
      },
    };
    expect([
      nodeEligibility(node('e', { gen: '4' }), gt).shouldRun,
      nodeEligibility(node('f', { gen: '3' }), gt).shouldRun,
    ]).toEqual([true, false]);
  });

  it('weighs taints: daemon tolerations cover node conditions; NoSchedule only blocks new pods', () => {
    expect(
      nodeEligibility(node('a', {}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]), {})
        .shouldRun,
    ).toBe(true);
    expect(
      nodeEligibility(node('a', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), {})
        .shouldRun,
    ).toBe(true);
    expect(
      nodeEligibility(node('a', {}, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]), {}),
    ).toEqual({
      shouldRun: false,
      shouldContinueRunning: true,
      reason: 'untolerated taint dedicated',
    });
    expect(
      nodeEligibility(node('a', {}, [{ key: 'dedicated', effect: 'NoExecute' }]), {}).shouldContinueRunning,
    ).toBe(false);
    expect(
      nodeEligibility(node('a', {}, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]), {
        tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      }).shouldRun,
    ).toBe(true);
    expect(withDaemonTolerations({ hostNetwork: true }).map((t) => t.key)).toContain(
      'node.kubernetes.io/network-unavailable',
    );
    expect(
      withDaemonTolerations({
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
      }),
    ).toHaveLength(6);
  });

  it('pins a pod to its node and reads the pin back', () => {
    const affinity = pinToNode({ affinity: { podAntiAffinity: {} } as SchedulingSpec['affinity'] }, 'n7');
    expect(targetNodeOf({ spec: { affinity } })).toBe('n7');
    expect((affinity as Record<string, unknown>).podAntiAffinity).toEqual({});
    expect(targetNodeOf({ spec: { nodeName: 'n2', affinity } })).toBe('n2');
  });

  it('hashes templates stably and scales maxUnavailable', () => {
    const t = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };
    expect(templateHash(t)).toBe(templateHash(JSON.parse(JSON.stringify(t))));
    expect(templateHash(t)).not.toBe(
      templateHash({ ...t, spec: { containers: [{ name: 'c', image: 'x:2' }] } }),
    );
    expect(templateHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{7}$/);
    expect([scaled('25%', 10, 1), scaled(2, 10, 1), scaled(undefined, 10, 1), scaled('10%', 3, 1)]).toEqual([
      3, 2, 1, 1,
    ]);
  });
});
