import { describe, expect, it } from 'vitest';
import { createNotificationPolicy, nodeTransition } from './notifications-logic';
import type { PodLike } from './notifications-logic';
import type { NodeLike } from './health';

const node = (ready: 'True' | 'False' | 'Unknown', message?: string): NodeLike =>
  ({
    metadata: { name: 'worker-1' },
    status: { conditions: [{ type: 'Ready', status: ready, ...(message ? { message } : {}) }] },
  }) as NodeLike;

type State = 'crash' | 'running' | 'ready';
const pod = (states: Record<string, State>, restarts = 3, name = 'web-1'): PodLike => ({
  metadata: { name, namespace: 'shop' },
  spec: { nodeName: 'worker-1' },
  status: {
    containerStatuses: Object.entries(states).map(([c, s]) => ({
      name: c,
      restartCount: restarts,
      ready: s === 'ready',
      state: s === 'crash' ? { waiting: { reason: 'CrashLoopBackOff' } } : {},
    })),
  },
});

describe('nodeTransition', () => {
  it('notifies when a Ready node stops being Ready, with the reason', () => {
    const n = nodeTransition(node('True'), node('Unknown', 'Kubelet stopped posting node status.'));
    expect(n).toEqual({
      key: 'node/worker-1',
      title: 'Node worker-1 is NotReady',
      body: expect.stringContaining('Kubelet stopped posting node status.') as string,
    });
  });

  it('stays quiet for nodes that were not Ready before, stay Ready, recover, or are new', () => {
    expect(nodeTransition(node('False'), node('Unknown'))).toBeUndefined();
    expect(nodeTransition(node('True'), node('True'))).toBeUndefined();
    expect(nodeTransition(node('False'), node('True'))).toBeUndefined();
    expect(nodeTransition(undefined, node('False'))).toBeUndefined();
  });
});

describe('notification policy for crash-looping pods', () => {
  it('notifies once when a container enters CrashLoopBackOff, through its restart cycles', () => {
    const policy = createNotificationPolicy();
    const first = policy.podUpdated(pod({ app: 'running' }), pod({ app: 'crash' }, 1));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      key: 'pod/shop/web-1/app',
      title: 'Pod shop/web-1 is crash-looping',
    });
    expect(first[0]!.body).toBe('Container "app" on worker-1 keeps failing (1 restart). Check its logs.');
    // The container runs again, dies, and is back in CrashLoopBackOff: still the same story.
    expect(policy.podUpdated(pod({ app: 'crash' }), pod({ app: 'running' }))).toEqual([]);
    expect(policy.podUpdated(pod({ app: 'running' }), pod({ app: 'crash' }, 4))).toEqual([]);
  });

  it('notifies again after the container was ready in between', () => {
    const policy = createNotificationPolicy();
    expect(policy.podUpdated(undefined, pod({ app: 'crash' }))).toHaveLength(1);
    expect(policy.podUpdated(pod({ app: 'crash' }), pod({ app: 'ready' }))).toEqual([]);
    expect(policy.podUpdated(pod({ app: 'ready' }), pod({ app: 'crash' }))).toHaveLength(1);
  });

  it('reports each container separately, and forgets a deleted pod', () => {
    const policy = createNotificationPolicy();
    const both = policy.podUpdated(undefined, pod({ app: 'crash', sidecar: 'crash' }));
    expect(both.map((n) => n.key)).toEqual(['pod/shop/web-1/app', 'pod/shop/web-1/sidecar']);
    policy.podDeleted(pod({}));
    // A new pod with the same name (a StatefulSet-like replacement) is news again.
    expect(policy.podUpdated(undefined, pod({ app: 'crash' }))).toHaveLength(1);
    // Another pod is independent.
    expect(policy.podUpdated(undefined, pod({ app: 'crash' }, 3, 'web-2'))).toHaveLength(1);
  });

  it('covers init containers and ignores other waiting reasons', () => {
    const policy = createNotificationPolicy();
    const init: PodLike = {
      metadata: { name: 'p', namespace: 'default' },
      status: {
        initContainerStatuses: [{ name: 'setup', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      },
    };
    expect(policy.podUpdated(undefined, init)[0]?.body).toContain('"setup" keeps failing (0 restarts)');
    const pulling: PodLike = {
      metadata: { name: 'q' },
      status: { containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ImagePullBackOff' } } }] },
    };
    expect(policy.podUpdated(undefined, pulling)).toEqual([]);
  });
});
