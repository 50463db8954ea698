// The cluster's settings, published for clients the Kubernetes way (as kubeadm's `kubeadm-config` and
// kube-public's `cluster-info`): a ConfigMap `kube-system/flotilla-cluster` the control plane writes at
// every start from the values its parts actually run with. The UI's Settings view reads it; any
// authenticated user may (see apiserver/auth/cluster-settings-rule.ts), since nothing in it is secret.
// The names and keys are the contract in shared/cluster-settings.ts.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterSettingsData } from '../shared/cluster-settings';
import { CLUSTER_SETTINGS_NAME, CLUSTER_SETTINGS_NAMESPACE } from '../shared/cluster-settings';
import { resourceFor } from '../shared/resources';
import { isKubeApiError } from '../shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../shared/kube/types';
import { NODE_LIFECYCLE_PRESETS } from './controllers/nodelifecycle/settings';
import type { NodeLifecycleSettings } from './controllers/nodelifecycle/settings';

export { CLUSTER_SETTINGS_NAME, CLUSTER_SETTINGS_NAMESPACE } from '../shared/cluster-settings';

const CONFIGMAPS = resourceFor('', 'configmaps');

export interface ClusterSettings {
  /** The range node pod CIDRs are carved from. */
  clusterCIDR: string;
  /** Prefix length of each node's pod CIDR. */
  nodeCIDRMaskSize: number;
  serviceCIDR: string;
  nodePorts: { min: number; max: number };
  nodeMonitorGracePeriodSeconds: number;
  defaultTolerationSeconds: number;
  /** 'desktop', 'kubernetes', or 'custom' when single timings were overridden. */
  nodeTimingsPreset?: string;
  dataDir: string;
  version: string;
}

interface ConfigMap extends KubeObjectLike {
  data?: Record<string, string>;
}

/** The preset whose timings these are, or 'custom'. */
export function nodeTimingsPresetOf(settings: NodeLifecycleSettings): string {
  const keys = Object.keys(settings) as (keyof NodeLifecycleSettings)[];
  for (const [name, preset] of Object.entries(NODE_LIFECYCLE_PRESETS)) {
    if (keys.every((k) => preset[k] === settings[k])) return name;
  }
  return 'custom';
}

/** The ConfigMap's data: strings only, as ConfigMaps hold. */
export function clusterSettingsData(s: ClusterSettings): ClusterSettingsData {
  return {
    clusterCIDR: s.clusterCIDR,
    nodeCIDRMaskSize: String(s.nodeCIDRMaskSize),
    serviceCIDR: s.serviceCIDR,
    nodePortRange: `${s.nodePorts.min}-${s.nodePorts.max}`,
    nodeMonitorGracePeriodSeconds: String(s.nodeMonitorGracePeriodSeconds),
    defaultTolerationSeconds: String(s.defaultTolerationSeconds),
    ...(s.nodeTimingsPreset ? { nodeTimingsPreset: s.nodeTimingsPreset } : {}),
    dataDir: s.dataDir,
    version: s.version,
  };
}

const sameData = (a: Record<string, string> | undefined, b: Record<string, string>) =>
  !!a && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

/**
 * Creates the ConfigMap or brings it up to date (settings change between starts: `--node-timings`).
 * Races with another writer (a person editing it with kubectl) are retried a few times; the control
 * plane's values win, since they are what it runs with.
 */
export async function publishClusterSettings(api: KubeApi, settings: ClusterSettings): Promise<void> {
  const data = clusterSettingsData(settings);
  for (let attempt = 0; ; attempt++) {
    try {
      let current: ConfigMap | undefined;
      try {
        current = await api.get<ConfigMap>(CONFIGMAPS, CLUSTER_SETTINGS_NAME, CLUSTER_SETTINGS_NAMESPACE);
      } catch (err) {
        if (!isKubeApiError(err, 404)) throw err;
      }
      if (!current) {
        await api.create<ConfigMap>(
          CONFIGMAPS,
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              name: CLUSTER_SETTINGS_NAME,
              namespace: CLUSTER_SETTINGS_NAMESPACE,
              labels: { 'app.kubernetes.io/managed-by': 'flotilla' },
            },
            data,
          },
          CLUSTER_SETTINGS_NAMESPACE,
        );
      } else if (!sameData(current.data, data)) {
        await api.update<ConfigMap>(CONFIGMAPS, { ...current, data });
      }
      return;
    } catch (err) {
      const raced = isKubeApiError(err, 409); // AlreadyExists or a stale resourceVersion
      if (!raced || attempt >= 4) throw err;
    }
  }
}

/**
 * Flotilla's own version, from the nearest package.json named "flotilla" above this module (the
 * source tree, the built bundle in out/, or the packaged app's resources all have one).
 */
export function flotillaVersion(from: string = import.meta.url): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'flotilla' && pkg.version) return pkg.version;
    } catch {
      // no (readable) package.json here: look further up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'unknown';
}
