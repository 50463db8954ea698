// The ResourceInfo entries the controllers use, looked up once from the shared list.
import { RESOURCES } from '../../../shared/resources';
import type { ResourceInfo } from '../../../shared/resources';

function resource(group: string, plural: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.plural === plural);
  if (!r) throw new Error(`resource ${group}/${plural} is not in shared/resources`);
  return r;
}

export const PODS = resource('', 'pods');
export const REPLICASETS = resource('apps', 'replicasets');
export const DEPLOYMENTS = resource('apps', 'deployments');
export const EVENTS = resource('', 'events');
