// The contract between the control plane and its clients for the cluster's published settings: the
// ConfigMap kube-system/flotilla-cluster, written by src-main/control-plane/cluster-settings.ts at
// every start and read by the UI's Settings view. ConfigMaps hold strings, so every value is one.
export const CLUSTER_SETTINGS_NAMESPACE = 'kube-system';
export const CLUSTER_SETTINGS_NAME = 'flotilla-cluster';

/** The ConfigMap's data keys (a type, not an interface, so it is a Record<string, string>). */
export type ClusterSettingsData = {
  clusterCIDR: string;
  /** Prefix length of each node's pod CIDR. */
  nodeCIDRMaskSize: string;
  serviceCIDR: string;
  /** `MIN-MAX`. */
  nodePortRange: string;
  nodeMonitorGracePeriodSeconds: string;
  defaultTolerationSeconds: string;
  /** 'desktop', 'kubernetes', or 'custom' when single timings were overridden. */
  nodeTimingsPreset?: string;
  dataDir: string;
  version: string;
};
