import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../../../shared/kube/objects';
import { calculateStatus, updateProgressing } from './status';
import {
  computeTemplateHash,
  equalIgnoreHash,
  maxSurge,
  maxUnavailable,
  proportionalSizes,
  resolveFenceposts,
  setNewReplicaSetAnnotations,
} from './util';

const dep = (
  replicas: number,
  maxSurgeV?: number | string,
  maxUnavailableV?: number | string,
): Deployment => ({
  metadata: {
    name: 'web',
    namespace: 'default',
    generation: 2,
    annotations: {
      'kubernetes.io/change-cause': 'v2',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    },
  },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    strategy: {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: maxSurgeV, maxUnavailable: maxUnavailableV },
    },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
  },
});

const rs = (name: string, replicas: number, extra: Partial<ReplicaSet['metadata']> = {}): ReplicaSet => ({
  metadata: { name, creationTimestamp: '2025-01-01T00:00:00Z', ...extra },
  spec: { replicas, selector: {} },
});

describe('deployment arithmetic', () => {
  it('resolves maxSurge up and maxUnavailable down, never both zero', () => {
    expect(resolveFenceposts(dep(10))).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts(dep(10, '0%', '0%'))).toEqual({ surge: 0, unavailable: 1 });
    expect(maxSurge(dep(6, 2, 1))).toBe(2);
    expect(maxUnavailable(dep(2, 0, 5))).toBe(2);
  });

  it('hashes templates stably with the Kubernetes alphabet, and compares them ignoring the hash', () => {
    const d = dep(1);
    const h = computeTemplateHash(d.spec.template);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(computeTemplateHash(structuredClone(d.spec.template))).toBe(h);
    expect(computeTemplateHash(d.spec.template, 1)).not.toBe(h);
    const withHash = structuredClone(d.spec.template);
    withHash.metadata = { labels: { app: 'web', 'pod-template-hash': h } };
    expect(equalIgnoreHash(withHash, d.spec.template)).toBe(true);
    // What kubectl sends back on undo (`resources: {}`, `creationTimestamp: null`) is the same template.
    const roundTripped = {
      metadata: { labels: { app: 'web' }, creationTimestamp: null },
      spec: { containers: [{ name: 'c', image: 'i', resources: {} }] },
    };
    expect(equalIgnoreHash(roundTripped as never, d.spec.template)).toBe(true);
    expect(computeTemplateHash(roundTripped as never)).toBe(h);
    expect(equalIgnoreHash({ spec: { containers: [{ name: 'c', image: 'j' }] } }, d.spec.template)).toBe(
      false,
    );
  });

  it('copies annotations to the new RS and keeps revision history on reuse', () => {
    const d = dep(3);
    const fresh = rs('web-a', 0);
    setNewReplicaSetAnnotations(d, fresh, 1, false);
    expect(fresh.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    const reused = rs('web-b', 0, { annotations: { 'deployment.kubernetes.io/revision': '1' } });
    expect(setNewReplicaSetAnnotations(d, reused, 3, true)).toBe(true);
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
  });

  it('scales active ReplicaSets proportionally when replicas change mid-rollout', () => {
    const d = dep(20, 3, 2); // was 10 with surge 3: RSs sized for max 13
    const a = rs('a', 8, { annotations: { 'deployment.kubernetes.io/max-replicas': '13' } });
    const b = rs('b', 5, {
      annotations: { 'deployment.kubernetes.io/max-replicas': '13' },
      creationTimestamp: '2025-01-02T00:00:00Z',
    });
    const sizes = proportionalSizes(d, [a, b]);
    expect((sizes.get(a) ?? 0) + (sizes.get(b) ?? 0)).toBe(23);
    expect(sizes.get(a)).toBe(14);
    expect(sizes.get(b)).toBe(9);
  });

  it('moves the Progressing condition to NewReplicaSetAvailable when complete', () => {
    const d = dep(2);
    const newRS: ReplicaSet = {
      ...rs('web-x', 2),
      status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    };
    const status = calculateStatus(d, [newRS], newRS, Date.parse('2025-01-01T00:00:00Z'));
    expect(status).toMatchObject({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 0,
    });
    updateProgressing(d, status, newRS, Date.parse('2025-01-01T00:00:00Z'));
    expect(status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: 'ReplicaSet "web-x" has successfully progressed.',
    });
    expect(status.conditions?.find((c) => c.type === 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
  });

  it('times out a rollout that made no progress past the deadline', () => {
    const d = dep(2);
    d.spec.progressDeadlineSeconds = 10;
    d.status = {
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          lastUpdateTime: '2025-01-01T00:00:00Z',
          lastTransitionTime: '2025-01-01T00:00:00Z',
        },
      ],
    };
    const newRS: ReplicaSet = { ...rs('web-x', 1), status: { replicas: 1, availableReplicas: 0 } };
    const old: ReplicaSet = { ...rs('web-o', 1), status: { replicas: 1, availableReplicas: 1 } };
    const status = calculateStatus(d, [old, newRS], newRS, Date.parse('2025-01-01T00:00:11Z'));
    updateProgressing(d, status, newRS, Date.parse('2025-01-01T00:00:11Z'));
    expect(status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
  });
});
