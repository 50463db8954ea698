// The live list folding: objects from list + watch land in the store, changes and deletions follow,
// and every user of a kind shares one watch.
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInformer } from '../../../src-main/shared/kube/informer';
import { createFakeKubeApi, waitFor } from '../../../src-main/shared/kube/testing';
import type { FakeKubeApi } from '../../../src-main/shared/kube/testing';
import type { Transport } from '../../../src-main/shared/kube/types';
import { setApiContext } from '../api/context';
import { createInformerRegistry } from '../api/informer-registry';
import type { Pod } from '../lib/kube-types';
import { R } from '../lib/resources';
import { useNodesStore } from './nodes';
import { usePodsStore } from './pods';

const noTransport: Transport = {
  request: () => Promise.reject(new Error('not used')),
  stream: () => Promise.reject(new Error('not used')),
};

function pod(name: string, phase: string, podIP?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c' }] },
    status: { phase, ...(podIP ? { podIP } : {}) },
  };
}

describe('resource stores', () => {
  let api: FakeKubeApi;

  beforeEach(() => {
    setActivePinia(createPinia());
    api = createFakeKubeApi();
    const informers = createInformerRegistry((r) => createInformer(api, r, { initialBackoffMs: 5 }), {
      lingerMs: 20,
    });
    setApiContext({ transport: noTransport, api, informers });
  });
  afterEach(() => setApiContext(undefined));

  it('lists, then folds watch events into the store', async () => {
    api.seed(R.pods, pod('a', 'Pending'));
    const pods = usePodsStore();
    const leave = pods.use();
    await waitFor(() => pods.synced && pods.items.length === 1, 'first list');
    expect(pods.items[0]!.metadata.name).toBe('a');

    api.seed(R.pods, pod('a', 'Running', '10.244.0.5'));
    api.seed(R.pods, pod('b', 'Pending'));
    await waitFor(
      () => pods.items.length === 2 && pods.items.find((p) => p.metadata.name === 'a')?.status?.podIP,
      'watch events',
    );
    expect(pods.items.find((p) => p.metadata.name === 'a')!.status!.phase).toBe('Running');

    await api.delete(R.pods, 'b', 'default');
    await waitFor(() => pods.items.length === 1, 'deletion');
    expect(pods.items.map((p) => p.metadata.name)).toEqual(['a']);
    leave();
  });

  it('shares one watch per kind however many views use it, and stops it after the last leaves', async () => {
    const pods = usePodsStore();
    const nodes = useNodesStore();
    const leaves = [pods.use(), pods.use(), nodes.use()];
    await waitFor(() => pods.synced && nodes.synced, 'sync');
    await waitFor(() => api.watchCount() === 2, 'two watches (pods, nodes)');
    const podLists = api.calls.filter((c) => c.verb === 'list' && c.resource === 'pods').length;
    expect(podLists).toBe(1);

    leaves[0]!();
    leaves[0]!(); // leaving twice is harmless
    await new Promise((r) => setTimeout(r, 60));
    expect(api.watchCount()).toBe(2); // the second pods user is still there
    leaves[1]!();
    leaves[2]!();
    await waitFor(() => api.watchCount() === 0, 'watches stopped');
  });
});
