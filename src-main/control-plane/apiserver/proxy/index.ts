// The API server's routes that reach node agents: the pods/log and pods/exec proxy and the
// metrics.k8s.io API, sharing one TLS client towards agents.
import type { Logger } from '../../../platform/logger';
import { createMetricsApi } from '../metrics/metrics-api';
import type { MetricsApi } from '../metrics/metrics-api';
import type { WatchCache } from '../storage/watch-cache';
import { createAgentClient } from './agent-client';
import type { AgentTls } from './agent-client';
import { createNodeProxy } from './node-proxy';
import type { NodeProxy } from './node-proxy';

export type { AgentTls } from './agent-client';
export { streamingVerb } from './node-proxy';
export { writeSocketError } from './upgrade';

export interface NodeApis {
  proxy: NodeProxy;
  metrics: MetricsApi;
  close(): void;
}

export function createNodeApis(options: { cache: WatchCache; tls: AgentTls; log: Logger }): NodeApis {
  const agents = createAgentClient(options.tls);
  return {
    proxy: createNodeProxy({ cache: options.cache, agents, log: options.log }),
    metrics: createMetricsApi({ cache: options.cache, agents, log: options.log }),
    close: () => agents.close(),
  };
}
