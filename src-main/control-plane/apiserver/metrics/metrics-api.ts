// The resource metrics API (`metrics.k8s.io/v1beta1`, metrics-server's role) as a second route family
// of the API server: NodeMetrics and PodMetrics are not stored, they are read from every Ready node's
// agent (`/stats/summary`) when asked, cached a few seconds so `kubectl top` in a loop costs the
// agents little. Listed in discovery, so `kubectl top nodes|pods` finds it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsSummary } from '../../../shared/agent-api';
import { agentPaths } from '../../../shared/agent-api';
import { matchesLabels, parseLabelSelector, SelectorParseError } from '../../../shared/labels';
import type { LabelSelector } from '../../../shared/labels';
import type { Logger } from '../../../platform/logger';
import { errors } from '../errors';
import { sendJson } from '../http';
import type { ResourceRequest } from '../request-info';
import { resourcePrefix } from '../storage/keys';
import type { WatchCache } from '../storage/watch-cache';
import type { AgentClient, NodeLike } from '../proxy/agent-client';
import { agentEndpoint, isNodeReady } from '../proxy/agent-client';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
/** The usage window reported: the agent's CPU rate is measured over about this long. */
const WINDOW = '10s';
const VERBS = ['get', 'list'];

interface MetricsResource {
  name: 'nodes' | 'pods';
  kind: string;
  namespaced: boolean;
}
const METRICS_RESOURCES: MetricsResource[] = [
  { name: 'nodes', kind: 'NodeMetrics', namespaced: false },
  { name: 'pods', kind: 'PodMetrics', namespaced: true },
];

export interface MetricsApiOptions {
  cache: WatchCache;
  agents: Pick<AgentClient, 'getJson'>;
  log: Pick<Logger, 'warn'>;
  now?: () => Date;
  /** How long one node's summary is reused (default 5 s). */
  cacheMs?: number;
}

export interface MetricsApi {
  serves(info: Pick<ResourceRequest, 'group'>): boolean;
  serve(req: IncomingMessage, res: ServerResponse, info: ResourceRequest): Promise<void>;
  /** Discovery documents of the group, for `/apis`, `/apis/metrics.k8s.io` and `/apis/metrics.k8s.io/v1beta1`. */
  discovery: typeof metricsDiscovery;
}

/** A NodeMetrics or PodMetrics without kind and apiVersion. */
interface Metrics {
  metadata: { name: string; namespace?: string; creationTimestamp: string; labels: Record<string, string> };
  timestamp: string;
  window: string;
  [field: string]: unknown;
}

interface PodObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; uid?: string };
}

export function createMetricsApi(options: MetricsApiOptions): MetricsApi {
  const now = options.now ?? (() => new Date());
  const cacheMs = options.cacheMs ?? 5_000;
  const summaries = new Map<string, { at: number; summary: Promise<StatsSummary | undefined> }>();

  function summaryOf(node: NodeLike): Promise<StatsSummary | undefined> {
    const name = node.metadata?.name ?? '';
    const t = now().getTime();
    const hit = summaries.get(name);
    if (hit && t - hit.at < cacheMs) return hit.summary;
    const summary = (async () => {
      try {
        return await options.agents.getJson<StatsSummary>(agentEndpoint(node), agentPaths.statsSummary);
      } catch (err) {
        options.log.warn(`metrics: no summary from node ${name}: ${(err as Error).message}`);
        summaries.delete(name); // try again on the next request rather than caching the failure
        return undefined;
      }
    })();
    summaries.set(name, { at: t, summary });
    return summary;
  }

  async function readyNodeSummaries(): Promise<{ node: NodeLike; summary: StatsSummary }[]> {
    await options.cache.sync();
    const nodesResource = { group: '', plural: 'nodes' };
    const nodes = options.cache
      .cacheFor(nodesResource)
      .list(resourcePrefix(nodesResource))
      .map((o) => o.obj as NodeLike)
      .filter(isNodeReady);
    for (const name of summaries.keys())
      if (!nodes.some((n) => n.metadata?.name === name)) summaries.delete(name);
    const results = await Promise.all(nodes.map(async (node) => ({ node, summary: await summaryOf(node) })));
    return results.filter((r): r is { node: NodeLike; summary: StatsSummary } => r.summary !== undefined);
  }

  function podObject(namespace: string, name: string): PodObject | undefined {
    const pods = { group: '', plural: 'pods' };
    return options.cache.cacheFor(pods).get(`${resourcePrefix(pods)}${namespace}/${name}`)?.obj as
      PodObject | undefined;
  }

  async function nodeMetrics(): Promise<Metrics[]> {
    const stamp = now().toISOString();
    return (await readyNodeSummaries()).map(({ node, summary }) => ({
      metadata: {
        name: node.metadata?.name ?? summary.node.nodeName,
        creationTimestamp: stamp,
        labels: (node.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {},
      },
      timestamp: summary.node.cpu.time,
      window: WINDOW,
      usage: usage(summary.node.cpu.usageNanoCores, summary.node.memory.workingSetBytes),
    }));
  }

  async function podMetrics(): Promise<Metrics[]> {
    const stamp = now().toISOString();
    const out: Metrics[] = [];
    for (const { summary } of await readyNodeSummaries()) {
      for (const p of summary.pods) {
        // Only pods the API still knows (a just-deleted pod's containers may linger for a moment).
        const pod = podObject(p.podRef.namespace, p.podRef.name);
        if (!pod || (pod.metadata?.uid && p.podRef.uid && pod.metadata.uid !== p.podRef.uid)) continue;
        out.push({
          metadata: {
            name: p.podRef.name,
            namespace: p.podRef.namespace,
            creationTimestamp: stamp,
            labels: pod.metadata?.labels ?? {},
          },
          timestamp: p.cpu.time,
          window: WINDOW,
          containers: p.containers.map((c) => ({
            name: c.name,
            usage: usage(c.cpu.usageNanoCores, c.memory.workingSetBytes),
          })),
        });
      }
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  return {
    serves: (info) => info.group === METRICS_GROUP,
    discovery: metricsDiscovery,
    async serve(_req, res, info) {
      const resource = METRICS_RESOURCES.find((r) => r.name === info.resource);
      if (info.version !== METRICS_VERSION || !resource || info.subresource !== undefined)
        throw errors.notFoundPath(info.path);
      if (info.verb !== 'get' && info.verb !== 'list')
        throw errors.methodNotAllowed(`${resource.name}.${METRICS_GROUP} supports only get and list`);
      if (!resource.namespaced && info.namespace !== undefined) throw errors.notFoundPath(info.path);
      const selector = labelSelector(info.query.get('labelSelector'));
      const all: Metrics[] = resource.name === 'nodes' ? await nodeMetrics() : await podMetrics();
      const items = all
        .filter(
          (m) =>
            (info.namespace === undefined || m.metadata.namespace === info.namespace) &&
            matchesLabels(selector, m.metadata.labels),
        )
        .map((m) => ({ kind: resource.kind, apiVersion: API_VERSION, ...m }));
      if (info.verb === 'get') {
        const item = items.find((m) => m.metadata.name === info.name);
        if (!item)
          throw errors.notFound({ group: METRICS_GROUP, kind: resource.name, name: info.name ?? '' });
        return sendJson(res, 200, item);
      }
      return sendJson(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: API_VERSION,
        metadata: {},
        items,
      });
    },
  };
}

function labelSelector(text: string | null): LabelSelector {
  try {
    return parseLabelSelector(text ?? '');
  } catch (err) {
    if (err instanceof SelectorParseError)
      throw errors.badRequest(`unable to parse requirement: ${err.message}`);
    throw err;
  }
}

/** Usage as metrics-server writes it: CPU in nanocores, memory in KiB. */
export function usage(nanoCores: number, workingSetBytes: number): { cpu: string; memory: string } {
  return {
    cpu: `${Math.max(0, Math.round(nanoCores))}n`,
    memory: `${Math.max(0, Math.floor(workingSetBytes / 1024))}Ki`,
  };
}

export const metricsDiscovery = {
  group() {
    const version = { groupVersion: API_VERSION, version: METRICS_VERSION };
    return { name: METRICS_GROUP, versions: [version], preferredVersion: version };
  },
  groupDocument() {
    return { kind: 'APIGroup', apiVersion: 'v1', ...metricsDiscovery.group() };
  },
  resourceList() {
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: API_VERSION,
      resources: METRICS_RESOURCES.map((r) => ({
        name: r.name,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: VERBS,
      })),
    };
  },
  /** The group's entry in aggregated discovery (`/apis` with the apidiscovery Accept). */
  aggregatedItem() {
    return {
      metadata: { name: METRICS_GROUP },
      versions: [
        {
          version: METRICS_VERSION,
          freshness: 'Current',
          resources: METRICS_RESOURCES.map((r) => ({
            resource: r.name,
            responseKind: { group: METRICS_GROUP, version: METRICS_VERSION, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: '',
            verbs: VERBS,
          })),
        },
      ],
    };
  },
  /** The document for a discovery path of the group, or undefined when `path` is not one. */
  forPath(path: string): unknown {
    if (path === `/apis/${METRICS_GROUP}`) return metricsDiscovery.groupDocument();
    if (path === `/apis/${API_VERSION}`) return metricsDiscovery.resourceList();
    return undefined;
  },
};
