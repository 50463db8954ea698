// The Settings view's one-object watch: it follows the published ConfigMap and nothing else.
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusForCode } from '../../../src-main/shared/kube/client';
import { createInformer } from '../../../src-main/shared/kube/informer';
import { createFakeKubeApi, waitFor } from '../../../src-main/shared/kube/testing';
import type { FakeKubeApi } from '../../../src-main/shared/kube/testing';
import { KubeApiError } from '../../../src-main/shared/kube/types';
import type { Transport } from '../../../src-main/shared/kube/types';
import { setApiContext } from '../api/context';
import { createInformerRegistry } from '../api/informer-registry';
import { R } from '../lib/resources';
import { useClusterSettingsStore } from './cluster-settings';

const noTransport: Transport = {
  request: () => Promise.reject(new Error('not used')),
  stream: () => Promise.reject(new Error('not used')),
};

const cm = (namespace: string, name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

describe('cluster settings store', () => {
  let api: FakeKubeApi;

  beforeEach(() => {
    setActivePinia(createPinia());
    api = createFakeKubeApi();
    setApiContext({
      transport: noTransport,
      api,
      informers: createInformerRegistry((r) => createInformer(api, r)),
    });
  });
  afterEach(() => setApiContext(undefined));

  it('follows kube-system/flotilla-cluster live, and only it', async () => {
    api.seed(R.configmaps, cm('kube-system', 'other', { clusterCIDR: '1.2.3.0/24' }));
    api.seed(R.configmaps, cm('default', 'flotilla-cluster', { clusterCIDR: '1.2.3.0/24' }));
    const store = useClusterSettingsStore();
    const leave = store.use();
    await waitFor(() => store.synced, 'first list');
    expect(store.settings).toBeUndefined(); // not published (yet)

    api.seed(R.configmaps, cm('kube-system', 'flotilla-cluster', { clusterCIDR: '10.244.0.0/16' }));
    await waitFor(() => store.settings?.clusterCIDR === '10.244.0.0/16', 'published');
    api.seed(
      R.configmaps,
      cm('kube-system', 'flotilla-cluster', {
        clusterCIDR: '10.244.0.0/16',
        defaultTolerationSeconds: '300',
      }),
    );
    await waitFor(() => store.settings?.defaultTolerationSeconds === 300, 'updated');

    // Only ever asked for that one object by name.
    for (const call of api.calls.filter((c) => c.verb === 'list' || c.verb === 'watch'))
      expect(call.namespace).toBe('kube-system');
    leave();
    await waitFor(() => api.watchCount() === 0, 'watch closed after the last user left');
  });

  it('shows why it cannot read the settings', async () => {
    api.reactors.push((call) => {
      if (call.resource === 'configmaps') throw new KubeApiError(403, statusForCode(403, 'forbidden here'));
    });
    const store = useClusterSettingsStore();
    const leave = store.use();
    await waitFor(() => store.error !== undefined, 'error');
    expect(store.error).toContain('forbidden here');
    expect(store.synced).toBe(false);
    leave();
  });
});
