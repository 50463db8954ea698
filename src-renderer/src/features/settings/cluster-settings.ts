// The cluster's settings as the control plane publishes them: the ConfigMap kube-system/flotilla-cluster
// (written at every start by src-main/control-plane/cluster-settings.ts; src-main/shared/cluster-settings.ts
// is the contract),
// read into what the Settings view shows. Values a person would ask about are derived here too: how
// many nodes fit in the cluster CIDR, how many pods fit on a node, how long until a dead node's pods
// run elsewhere.
import type { ClusterSettingsData } from '../../../../src-main/shared/cluster-settings';
import type { KubeObjectLike } from '../../../../src-main/shared/kube/types';

export {
  CLUSTER_SETTINGS_NAME,
  CLUSTER_SETTINGS_NAMESPACE,
} from '../../../../src-main/shared/cluster-settings';

export interface ConfigMapObject extends KubeObjectLike {
  /** Partial: an older or hand-edited ConfigMap may lack keys. */
  data?: Partial<ClusterSettingsData> & Record<string, string>;
}

export interface ClusterSettingsView {
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
  /** Nodes the cluster CIDR has room for (one pod CIDR each). */
  maxNodes?: number;
  /** Pod IPs per node (its CIDR less network and gateway addresses). */
  podsPerNode?: number;
  serviceCIDR?: string;
  nodePortRange?: string;
  nodeMonitorGracePeriodSeconds?: number;
  defaultTolerationSeconds?: number;
  nodeTimingsPreset?: string;
  dataDir?: string;
  version?: string;
}

function count(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

function prefixOf(cidr: string | undefined): number | undefined {
  const m = cidr ? /^\d{1,3}(?:\.\d{1,3}){3}\/(\d{1,2})$/.exec(cidr.trim()) : null;
  const prefix = m ? Number(m[1]) : undefined;
  return prefix !== undefined && prefix <= 32 ? prefix : undefined;
}

const text = (value: string | undefined) => (value && value.trim() ? value.trim() : undefined);

/** What the ConfigMap says, with missing or malformed values left undefined (shown as "—"). */
export function parseClusterSettings(cm: ConfigMapObject | undefined): ClusterSettingsView | undefined {
  if (!cm) return undefined;
  const d = cm.data ?? {};
  const view: ClusterSettingsView = {};
  const set = <K extends keyof ClusterSettingsView>(k: K, v: ClusterSettingsView[K] | undefined) => {
    if (v !== undefined) view[k] = v;
  };
  set('clusterCIDR', text(d.clusterCIDR));
  set('nodeCIDRMaskSize', count(d.nodeCIDRMaskSize));
  set('serviceCIDR', text(d.serviceCIDR));
  set('nodePortRange', text(d.nodePortRange));
  set('nodeMonitorGracePeriodSeconds', count(d.nodeMonitorGracePeriodSeconds));
  set('defaultTolerationSeconds', count(d.defaultTolerationSeconds));
  set('nodeTimingsPreset', text(d.nodeTimingsPreset));
  set('dataDir', text(d.dataDir));
  set('version', text(d.version));
  const clusterPrefix = prefixOf(view.clusterCIDR);
  const mask = view.nodeCIDRMaskSize;
  if (mask !== undefined && mask <= 32) {
    if (mask <= 30) set('podsPerNode', 2 ** (32 - mask) - 2);
    if (clusterPrefix !== undefined && clusterPrefix <= mask) set('maxNodes', 2 ** (mask - clusterPrefix));
  }
  return view;
}

const PRESET_NAMES: Record<string, string> = {
  desktop: 'Desktop (fast: for a few machines you are watching)',
  kubernetes: "Kubernetes' defaults",
  custom: 'Custom',
};

export function presetLabel(preset: string | undefined): string {
  return preset ? (PRESET_NAMES[preset] ?? preset) : '—';
}

/** Seconds as a person says them: "20 s", "5 min", "1 min 30 s". */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  if (seconds < 60) return `${seconds} s`;
  const min = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s ? `${min} min ${s} s` : `${min} min`;
}

/** What the two timings add up to when a machine goes away, in one sentence. */
export function failureStory(s: ClusterSettingsView): string | undefined {
  const grace = s.nodeMonitorGracePeriodSeconds;
  const toleration = s.defaultTolerationSeconds;
  if (grace === undefined || toleration === undefined) return undefined;
  return (
    `So the pods of a machine that is switched off or drops off the network run on other nodes after ` +
    `about ${formatSeconds(grace + toleration)}, plus the time to start them.`
  );
}
