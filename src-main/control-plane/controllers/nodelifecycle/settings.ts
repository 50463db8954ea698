// Node lifecycle timings. Two presets: one for a desktop cluster (the default) and Kubernetes' own.
//
// Why the desktop numbers (these go into the README's "failure timings"):
// - Agents renew their node Lease every 10 s (kubelet's default: a quarter of the 40 s lease).
// - nodeMonitorGracePeriod 20 s = two missed renewals. One lost renewal (a Wi-Fi hiccup, a laptop
//   busy compiling, a GC pause) never flips a node, but a machine that is switched off, sleeps or drops
//   off the network is marked Unknown and tainted within ~20 s. Kubernetes waits 40 s because in a big
//   cluster a false "node gone" triggers mass rescheduling; with 2-10 machines that risk is small and
//   the user is watching.
// - default tolerationSeconds 30 s (set by the API server's DefaultTolerationSeconds admission; the
//   number lives here so both sides read one setting): long enough to ride out an agent restart or
//   upgrade (~10-20 s) without moving pods, short enough that pods of a dead machine run elsewhere
//   within about a minute (20 s + 30 s + scheduling and start). Kubernetes' 300 s suits machines that
//   are expected to come back (cloud VMs during maintenance); desktop machines that vanish usually
//   stay gone until someone opens the lid.
// - nodeStartupGracePeriod 60 s (as Kubernetes): a freshly registered node has that long to post its
//   first Ready status, since first start pulls images and sets up the network.
// - nodeMonitorPeriod 2 s (Kubernetes 5 s): how often every node is re-checked; only a safety net here,
//   since each node is also re-checked exactly when its grace period runs out.

export interface NodeLifecycleSettings {
  /** No heartbeat (Lease renewal or status post) for this long: Ready becomes Unknown. */
  nodeMonitorGracePeriodSeconds: number;
  /** Same, for a node that never posted a Ready condition (counted from first sight). */
  nodeStartupGracePeriodSeconds: number;
  /** Every node is re-checked at least this often. */
  nodeMonitorPeriodSeconds: number;
  /**
   * What the API server's DefaultTolerationSeconds admission gives every pod for the not-ready and
   * unreachable NoExecute taints. The controller itself honours whatever tolerations a pod has.
   */
  defaultTolerationSeconds: number;
  /** Pods bound to a node that no longer exists are force-deleted after this long (PodGC's quarantine). */
  orphanedPodQuarantineSeconds: number;
}

export const DESKTOP_NODE_LIFECYCLE: Readonly<NodeLifecycleSettings> = Object.freeze({
  nodeMonitorGracePeriodSeconds: 20,
  nodeStartupGracePeriodSeconds: 60,
  nodeMonitorPeriodSeconds: 2,
  defaultTolerationSeconds: 30,
  orphanedPodQuarantineSeconds: 5,
});

/** kube-controller-manager's and kube-apiserver's defaults. */
export const KUBERNETES_NODE_LIFECYCLE: Readonly<NodeLifecycleSettings> = Object.freeze({
  nodeMonitorGracePeriodSeconds: 40,
  nodeStartupGracePeriodSeconds: 60,
  nodeMonitorPeriodSeconds: 5,
  defaultTolerationSeconds: 300,
  orphanedPodQuarantineSeconds: 40,
});

export const NODE_LIFECYCLE_PRESETS = {
  desktop: DESKTOP_NODE_LIFECYCLE,
  kubernetes: KUBERNETES_NODE_LIFECYCLE,
} as const;
export type NodeLifecyclePreset = keyof typeof NODE_LIFECYCLE_PRESETS;
