import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusForCode } from '../shared/kube/client';
import { createFakeKubeApi } from '../shared/kube/testing';
import { KubeApiError } from '../shared/kube/types';
import type { KubeObjectLike } from '../shared/kube/types';
import { resourceFor } from '../shared/resources';
import {
  CLUSTER_SETTINGS_NAME,
  CLUSTER_SETTINGS_NAMESPACE,
  clusterSettingsData,
  flotillaVersion,
  nodeTimingsPresetOf,
  publishClusterSettings,
} from './cluster-settings';
import type { ClusterSettings } from './cluster-settings';
import { DESKTOP_NODE_LIFECYCLE, KUBERNETES_NODE_LIFECYCLE } from './controllers/nodelifecycle/settings';

const CM = resourceFor('', 'configmaps');
const settings: ClusterSettings = {
  clusterCIDR: '10.244.0.0/16',
  nodeCIDRMaskSize: 24,
  serviceCIDR: '10.96.0.0/12',
  nodePorts: { min: 30000, max: 32767 },
  nodeMonitorGracePeriodSeconds: 20,
  defaultTolerationSeconds: 30,
  nodeTimingsPreset: 'desktop',
  dataDir: '/var/lib/flotilla',
  version: '0.1.0',
};
type ConfigMap = KubeObjectLike & { data?: Record<string, string> };
const published = (api: ReturnType<typeof createFakeKubeApi>) =>
  api
    .objects<ConfigMap>(CM, CLUSTER_SETTINGS_NAMESPACE)
    .find((c) => c.metadata?.name === CLUSTER_SETTINGS_NAME);

describe('cluster settings', () => {
  it('names the preset the timings are, or custom', () => {
    expect(nodeTimingsPresetOf({ ...DESKTOP_NODE_LIFECYCLE })).toBe('desktop');
    expect(nodeTimingsPresetOf({ ...KUBERNETES_NODE_LIFECYCLE })).toBe('kubernetes');
    expect(nodeTimingsPresetOf({ ...KUBERNETES_NODE_LIFECYCLE, nodeMonitorGracePeriodSeconds: 30 })).toBe(
      'custom',
    );
  });

  it('turns the settings into ConfigMap data (strings only)', () => {
    expect(clusterSettingsData(settings)).toEqual({
      clusterCIDR: '10.244.0.0/16',
      nodeCIDRMaskSize: '24',
      serviceCIDR: '10.96.0.0/12',
      nodePortRange: '30000-32767',
      nodeMonitorGracePeriodSeconds: '20',
      defaultTolerationSeconds: '30',
      nodeTimingsPreset: 'desktop',
      dataDir: '/var/lib/flotilla',
      version: '0.1.0',
    });
    const { nodeTimingsPreset: _omitted, ...withoutPreset } = settings;
    expect(clusterSettingsData(withoutPreset)).not.toHaveProperty('nodeTimingsPreset');
  });

  it('creates the ConfigMap, leaves it alone when nothing changed, updates it when something did', async () => {
    const api = createFakeKubeApi();
    await publishClusterSettings(api, settings);
    const first = published(api)!;
    expect(first.data).toEqual(clusterSettingsData(settings));
    expect(first.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'flotilla' });

    await publishClusterSettings(api, settings);
    expect(published(api)!.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(api.calls.filter((c) => c.verb === 'update')).toHaveLength(0);

    // Someone edited it by hand, and the control plane restarted with Kubernetes' timings.
    api.seed(CM, { ...first, data: { ...first.data, extra: 'x', defaultTolerationSeconds: '1' } });
    await publishClusterSettings(api, {
      ...settings,
      defaultTolerationSeconds: 300,
      nodeTimingsPreset: 'custom',
    });
    expect(published(api)!.data).toEqual(
      clusterSettingsData({ ...settings, defaultTolerationSeconds: 300, nodeTimingsPreset: 'custom' }),
    );
  });

  it('retries a write that raced with another writer, and gives up on other errors', async () => {
    const api = createFakeKubeApi();
    let conflicts = 2;
    api.reactors.push((call) => {
      if (call.verb === 'create' && conflicts-- > 0)
        throw new KubeApiError(409, statusForCode(409, 'exists'));
    });
    await publishClusterSettings(api, settings);
    expect(published(api)?.data?.clusterCIDR).toBe('10.244.0.0/16');

    const broken = createFakeKubeApi();
    broken.reactors.push((call) => {
      if (call.verb === 'get') throw new KubeApiError(403, statusForCode(403, 'forbidden'));
    });
    await expect(publishClusterSettings(broken, settings)).rejects.toMatchObject({ code: 403 });
  });

  it("reads Flotilla's version from the nearest package.json named flotilla", async () => {
    expect(flotillaVersion()).toMatch(/^\d+\.\d+\.\d+/);
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-version-'));
    try {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'flotilla', version: '9.8.7' }));
      await mkdir(join(dir, 'out', 'main'), { recursive: true });
      await writeFile(
        join(dir, 'out', 'package.json'),
        JSON.stringify({ name: 'something-else', version: '1.0.0' }),
      );
      expect(flotillaVersion(join(dir, 'out', 'main', 'index.js'))).toBe('9.8.7');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
