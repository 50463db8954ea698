import { describe, expect, it } from 'vitest';
import { DESKTOP_NODE_LIFECYCLE, KUBERNETES_NODE_LIFECYCLE, NODE_LIFECYCLE_PRESETS } from './settings';
import { tolerates, tolerationSecondsFor, untoleratedTaints } from './taints';
import type { Taint } from '../../../shared/kube/objects';

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

describe('taints and tolerations', () => {
  it('matches by key, value, operator and effect', () => {
    expect(tolerates({ key: unreachable.key, operator: 'Exists', effect: 'NoExecute' }, unreachable)).toBe(
      true,
    );
    expect(tolerates({ operator: 'Exists' }, unreachable)).toBe(true);
    expect(tolerates({ key: unreachable.key, operator: 'Exists', effect: 'NoSchedule' }, unreachable)).toBe(
      false,
    );
    expect(
      tolerates({ key: 'dedicated', value: 'gpu' }, { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }),
    ).toBe(true);
    expect(
      tolerates({ key: 'dedicated', value: 'cpu' }, { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }),
    ).toBe(false);
    expect(
      untoleratedTaints(
        [unreachable, { key: 'x', effect: 'PreferNoSchedule' }],
        [],
        ['NoExecute', 'NoSchedule'],
      ),
    ).toEqual([unreachable]);
  });

  it('takes the shortest tolerationSeconds; none means forever, no match means at once', () => {
    expect(tolerationSecondsFor(unreachable, [])).toBeUndefined();
    expect(
      tolerationSecondsFor(unreachable, [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute' }]),
    ).toBe(Infinity);
    expect(
      tolerationSecondsFor(unreachable, [
        { key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { operator: 'Exists', tolerationSeconds: 30 },
      ]),
    ).toBe(30);
    expect(tolerationSecondsFor(unreachable, [{ operator: 'Exists', tolerationSeconds: -5 }])).toBe(0);
  });

  it('offers the desktop defaults and the Kubernetes ones as presets', () => {
    expect(NODE_LIFECYCLE_PRESETS.desktop).toBe(DESKTOP_NODE_LIFECYCLE);
    expect(DESKTOP_NODE_LIFECYCLE).toMatchObject({
      nodeMonitorGracePeriodSeconds: 20,
      defaultTolerationSeconds: 30,
    });
    expect(KUBERNETES_NODE_LIFECYCLE).toMatchObject({
      nodeMonitorGracePeriodSeconds: 40,
      defaultTolerationSeconds: 300,
      nodeMonitorPeriodSeconds: 5,
    });
  });
});
