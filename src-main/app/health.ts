// The cluster's health as the tray shows it, computed from Node objects alone (pure: no Electron, no
// I/O). Green when every node is Ready, amber when some are not, grey when there are no nodes yet.
// A node counts as Ready only when its Ready condition says "True"; "False", "Unknown" (the node
// lifecycle controller's verdict for a silent agent) and a missing condition all count as not Ready.

export type HealthLevel = 'healthy' | 'degraded' | 'empty';

export interface NodeLike {
  metadata?: { name?: string };
  spec?: { unschedulable?: boolean };
  status?: { conditions?: readonly { type: string; status: string }[] };
}

export interface ClusterHealth {
  level: HealthLevel;
  total: number;
  ready: number;
  /** Names of the nodes that are not Ready, sorted. */
  notReady: string[];
  /** One line for the tray's tooltip and menu. */
  summary: string;
}

/** The colour each level is drawn in (the tray icon), as RGB. */
export const HEALTH_COLOURS: Record<HealthLevel, readonly [number, number, number]> = {
  healthy: [0x2e, 0xa0, 0x43], // green
  degraded: [0xe0, 0x9b, 0x16], // amber
  empty: [0x8a, 0x8f, 0x98], // grey
};

export function isNodeReady(node: NodeLike): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export function clusterHealth(nodes: Iterable<NodeLike>): ClusterHealth {
  let total = 0;
  const notReady: string[] = [];
  for (const node of nodes) {
    total++;
    if (!isNodeReady(node)) notReady.push(node.metadata?.name ?? '(unnamed)');
  }
  notReady.sort();
  const ready = total - notReady.length;
  const level: HealthLevel = total === 0 ? 'empty' : notReady.length === 0 ? 'healthy' : 'degraded';
  return { level, total, ready, notReady, summary: summarize(level, total, ready, notReady) };
}

function summarize(level: HealthLevel, total: number, ready: number, notReady: string[]): string {
  if (level === 'empty') return 'No nodes yet: add a machine to run pods';
  const nodes = total === 1 ? 'node' : 'nodes';
  if (level === 'healthy') return `All ${total} ${nodes} Ready`;
  const shown =
    notReady.slice(0, 3).join(', ') + (notReady.length > 3 ? `, +${notReady.length - 3} more` : '');
  return `${ready} of ${total} ${nodes} Ready (not Ready: ${shown})`;
}
