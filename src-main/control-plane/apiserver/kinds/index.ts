// Every kind's strategy, and the lookup the API server uses. The registry holds one strategy per entry of
// RESOURCES (shared/resources.ts); index.spec.ts checks that none is missing.
import { RESOURCES, type ResourceInfo } from '../../../shared/resources';
import type { FlotillaStrategy } from './common/strategy';
import { certificateSigningRequestStrategy } from './certificatesigningrequest';
import { configMapStrategy } from './configmap';
import { daemonSetStrategy } from './daemonset';
import { deploymentStrategy } from './deployment';
import { endpointsStrategy } from './endpoints';
import { endpointSliceStrategy } from './endpointslice';
import { eventStrategy } from './event';
import { eventsV1EventStrategy } from './events-v1-event';
import { leaseStrategy } from './lease';
import { machineStrategy } from './machine';
import { namespaceStrategy } from './namespace';
import { nodeStrategy } from './node';
import { podStrategy } from './pod';
import { replicaSetStrategy } from './replicaset';
import { secretStrategy } from './secret';
import { serviceStrategy } from './service';
import { serviceAccountStrategy } from './serviceaccount';

export type { FlotillaStrategy } from './common/strategy';
export { prepareObjectMetaForUpdate } from './common/meta';

/** All strategies written, including kinds not (or no longer) in RESOURCES. */
export const ALL_STRATEGIES: readonly FlotillaStrategy[] = [
  namespaceStrategy,
  nodeStrategy,
  podStrategy,
  serviceStrategy,
  endpointsStrategy,
  configMapStrategy,
  secretStrategy,
  eventStrategy,
  serviceAccountStrategy,
  endpointSliceStrategy,
  leaseStrategy,
  eventsV1EventStrategy,
  replicaSetStrategy,
  deploymentStrategy,
  daemonSetStrategy,
  machineStrategy,
  certificateSigningRequestStrategy,
];

/** The strategies of the served resources. */
export const STRATEGIES: readonly FlotillaStrategy[] = ALL_STRATEGIES.filter((s) =>
  RESOURCES.includes(s.resource),
);

/** The strategy of a served resource, or undefined. */
export function findStrategy(group: string, version: string, plural: string): FlotillaStrategy | undefined {
  return STRATEGIES.find(
    (s) => s.resource.group === group && s.resource.version === version && s.resource.plural === plural,
  );
}

export class UnknownResourceError extends Error {
  readonly code = 'UnknownResource';
  constructor(
    readonly group: string,
    readonly version: string,
    readonly plural: string,
  ) {
    super(`no strategy for ${plural} in ${group ? `${group}/` : ''}${version}`);
    this.name = 'UnknownResourceError';
  }
}

/**
 * The strategy of a served resource: `strategyFor(resourceInfo)` or `strategyFor(group, version, plural)`.
 * Throws UnknownResourceError for a resource that is not served.
 */
export function strategyFor(resource: Pick<ResourceInfo, 'group' | 'version' | 'plural'>): FlotillaStrategy;
export function strategyFor(group: string, version: string, plural: string): FlotillaStrategy;
export function strategyFor(
  a: Pick<ResourceInfo, 'group' | 'version' | 'plural'> | string,
  version?: string,
  plural?: string,
): FlotillaStrategy {
  const [g, v, p] = typeof a === 'string' ? [a, version ?? '', plural ?? ''] : [a.group, a.version, a.plural];
  const s = findStrategy(g, v, p);
  if (!s) throw new UnknownResourceError(g, v, p);
  return s;
}
