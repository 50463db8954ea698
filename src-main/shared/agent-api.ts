// The agent's own HTTPS API (the kubelet API's role): what the API server calls on a node to proxy
// `kubectl logs`, `kubectl exec` and to read usage for metrics.k8s.io. Both sides import these
// constants, so the paths and protocols are written down once.
//
// Transport: HTTPS on the node's InternalIP at `status.daemonEndpoints.kubeletEndpoint.Port`
// (default AGENT_PORT), serving certificate signed by the cluster CA (SAN: the node's IPs and name).
// Only the API server may call it: it presents a client certificate from the cluster CA whose CN is
// APISERVER_CLIENT_CN (the agent rejects everything else with 401/403). The API server authorizes
// the *user* (pods/log, pods/exec) before proxying; the agent authorizes the *API server*.

export const AGENT_PORT = 10250;

/**
 * Node.js options every launcher starts the agent with (they only take effect at process start). A
 * 1 MiB young generation keeps V8 from growing it to 16 MiB per semi-space under the agent's bursty
 * allocation; the old-space cap makes the heap collect before it grows; lite mode (no optimising
 * compiler) trades a few milliseconds of the agent's own work per pod for ~15 MB less memory. Measured
 * with `npm run bench -- pods` at 100 pods: RSS 84 MB with none of them, 82 MB without lite mode, 67 MB
 * with all three; the agent's share of a pod's start stays ~40 ms of ~600 ms.
 */
export const AGENT_NODE_OPTIONS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=256',
  '--lite-mode',
] as const;

/** CN of the client certificate the API server uses towards agents. */
export const APISERVER_CLIENT_CN = 'flotilla:apiserver';

export const agentPaths = {
  /**
   * GET. Query: follow, tailLines, sinceSeconds, sinceTime (RFC 3339), timestamps, previous,
   * limitBytes — as kubectl sends them to pods/log. Answers text/plain, streamed while following.
   */
  containerLogs: (namespace: string, pod: string, container: string) =>
    `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}/${encodeURIComponent(container)}`,
  /**
   * GET with a WebSocket upgrade (subprotocols EXEC_SUBPROTOCOLS). Query as pods/exec: command
   * (repeated), stdin, stdout, stderr, tty.
   */
  exec: (namespace: string, pod: string, container: string) =>
    `/exec/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}/${encodeURIComponent(container)}`,
  /** GET: kubelet-style stats summary (node and pods: CPU usageNanoCores, memory workingSetBytes). */
  statsSummary: '/stats/summary',
  healthz: '/healthz',
} as const;

/**
 * Kubernetes' remote command WebSocket subprotocols, newest first. Every message's first byte is the
 * channel: 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status JSON when the command ends),
 * 4 resize ({"Width":…,"Height":…}); v5 adds 255 = close a channel (second byte: which).
 */
export const EXEC_SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const ExecChannel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The subset of the kubelet's /stats/summary the metrics API needs. */
export interface StatsSummary {
  node: { nodeName: string; cpu: CpuStats; memory: MemoryStats };
  pods: {
    podRef: { name: string; namespace: string; uid: string };
    cpu: CpuStats;
    memory: MemoryStats;
    containers: { name: string; cpu: CpuStats; memory: MemoryStats }[];
  }[];
}

export interface CpuStats {
  time: string;
  usageNanoCores: number;
}

export interface MemoryStats {
  time: string;
  workingSetBytes: number;
}
