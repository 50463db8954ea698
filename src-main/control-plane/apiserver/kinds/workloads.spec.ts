/* eslint-disable @typescript-eslint/no-explicit-any -- the specs poke into loosely typed JSON objects */
import { describe, expect, it } from 'vitest';
import { daemonSetStrategy } from './daemonset';
import { deploymentStrategy } from './deployment';
import { replicaSetStrategy } from './replicaset';
import { ago, messages, NOW } from './testing';
import type { KubeObject } from './types';

function workload(
  kind: string,
  spec: Record<string, unknown> = {},
  status?: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(2 * 3600_000) },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.27' },
            { name: 'sidecar', image: 'busybox' },
          ],
        },
      },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

const strategies = {
  Deployment: deploymentStrategy,
  ReplicaSet: replicaSetStrategy,
  DaemonSet: daemonSetStrategy,
};

function validate(kind: keyof typeof strategies, spec: Record<string, unknown> = {}): string[] {
  const s = strategies[kind];
  const obj = workload(kind, spec);
  s.defaults!(obj);
  return messages(s.validateCreate!(obj));
}

describe('workload defaults', () => {
  it('Deployment: replicas 1, RollingUpdate 25%/25%, history 10, deadline 600, template defaulted', () => {
    const d = workload('Deployment');
    deploymentStrategy.defaults!(d);
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 },
      },
    });
    // Templates do not get the Pod-only defaults.
    expect((d.spec as any).template.spec.enableServiceLinks).toBeUndefined();
  });

  it('Deployment: Recreate gets no rollingUpdate', () => {
    const d = workload('Deployment', { strategy: { type: 'Recreate' } });
    deploymentStrategy.defaults!(d);
    expect((d.spec as any).strategy).toEqual({ type: 'Recreate' });
  });

  it('ReplicaSet: replicas 1', () => {
    const rs = workload('ReplicaSet');
    replicaSetStrategy.defaults!(rs);
    expect((rs.spec as any).replicas).toBe(1);
  });

  it('DaemonSet: RollingUpdate maxUnavailable 1, maxSurge 0, history 10', () => {
    const ds = workload('DaemonSet');
    daemonSetStrategy.defaults!(ds);
    expect(ds.spec).toMatchObject({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    });
  });
});

describe('workload validation', () => {
  it.each(['Deployment', 'ReplicaSet', 'DaemonSet'] as const)('%s: a valid object passes', (kind) => {
    expect(validate(kind)).toEqual([]);
  });

  it.each<[keyof typeof strategies, Record<string, unknown>, string]>([
    ['Deployment', { selector: undefined }, 'spec.selector: Required value'],
    [
      'Deployment',
      { selector: {} },
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    ],
    [
      'ReplicaSet',
      { selector: {} },
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    ],
    [
      'DaemonSet',
      { selector: {} },
      'spec.selector: Invalid value: {}: empty selector is invalid for daemonset',
    ],
    [
      'Deployment',
      { selector: { matchLabels: { app: 'other' } } },
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ],
    [
      'DaemonSet',
      { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] } },
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ],
    [
      'ReplicaSet',
      { selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ],
    ['Deployment', { replicas: -1 }, 'spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ['ReplicaSet', { replicas: -3 }, 'spec.replicas: Invalid value: -3: must be greater than or equal to 0'],
    [
      'Deployment',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } },
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ],
    [
      'Deployment',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: 1 } } },
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"1\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ],
    [
      'Deployment',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '150%' } } },
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
    ],
    [
      'Deployment',
      { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } },
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ],
    [
      'Deployment',
      { progressDeadlineSeconds: 5, minReadySeconds: 10 },
      'spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds',
    ],
    [
      'DaemonSet',
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } },
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    ],
    [
      'DaemonSet',
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } },
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
    ],
  ])('%s %j', (kind, spec, expected) => {
    expect(validate(kind, spec)).toContain(expected);
  });

  it.each(['Deployment', 'ReplicaSet', 'DaemonSet'] as const)(
    '%s: template restartPolicy must be Always',
    (kind) => {
      const obj = workload(kind);
      (obj.spec as any).template.spec.restartPolicy = 'Never';
      strategies[kind].defaults!(obj);
      expect(messages(strategies[kind].validateCreate!(obj))).toContain(
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      );
    },
  );

  it('template pod spec errors carry the template path', () => {
    const got = validate('Deployment', {
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web' }] } },
    });
    expect(got).toContain('spec.template.spec.containers[0].image: Required value');
  });

  it.each(['Deployment', 'ReplicaSet', 'DaemonSet'] as const)('%s: selector is immutable', (kind) => {
    const s = strategies[kind];
    const old = workload(kind);
    s.defaults!(old);
    const next = structuredClone(old);
    (next.spec as any).selector = { matchLabels: { app: 'web', tier: 'x' } };
    (next.spec as any).template.metadata.labels.tier = 'x';
    expect(messages(s.validateUpdate!(next, old))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable',
    ]);
  });
});

describe('workload rows', () => {
  it('Deployment', () => {
    const d = workload(
      'Deployment',
      { replicas: 3 },
      { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    );
    expect(deploymentStrategy.row(d, NOW)).toEqual([
      'web',
      '2/3',
      3,
      2,
      '120m',
      'web,sidecar',
      'nginx:1.27,busybox',
      'app=web',
    ]);
  });

  it('ReplicaSet', () => {
    const rs = workload('ReplicaSet', { replicas: 2 }, { replicas: 2, readyReplicas: 1 });
    expect(replicaSetStrategy.row(rs, NOW)).toEqual([
      'web',
      2,
      2,
      1,
      '120m',
      'web,sidecar',
      'nginx:1.27,busybox',
      'app=web',
    ]);
    expect(replicaSetStrategy.fieldSelectors!['status.replicas']!(rs)).toBe('2');
  });

  it('DaemonSet', () => {
    const ds = workload(
      'DaemonSet',
      {},
      {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    );
    (ds.spec as any).template.spec.nodeSelector = { 'kubernetes.io/os': 'linux' };
    expect(daemonSetStrategy.row(ds, NOW)).toEqual([
      'web',
      3,
      3,
      2,
      3,
      2,
      'kubernetes.io/os=linux',
      '120m',
      'web,sidecar',
      'nginx:1.27,busybox',
      'app=web',
    ]);
  });

  it('generation and scale declarations', () => {
    expect(deploymentStrategy.generationOnSpecChange).toBe(true);
    expect(replicaSetStrategy.generationOnSpecChange).toBe(true);
    expect(daemonSetStrategy.generationOnSpecChange).toBe(true);
    expect(deploymentStrategy.scale?.specReplicas).toBe('spec.replicas');
    expect(replicaSetStrategy.scale?.labelSelector).toBe('spec.selector');
    expect(daemonSetStrategy.scale).toBeUndefined();
  });
});
