// The kinds the UI shows, looked up once from the shared resource list (the same list the API server
// serves), so paths never drift between server and UI.
import { RESOURCES } from '../../../src-main/shared/resources';
import type { ResourceInfo } from '../../../src-main/shared/resources';

function byPlural(group: string, plural: string): ResourceInfo {
  const found = RESOURCES.find((r) => r.group === group && r.plural === plural);
  if (!found) throw new Error(`the shared resource list has no ${group || 'core'}/${plural}`);
  return found;
}

export const R = {
  namespaces: byPlural('', 'namespaces'),
  nodes: byPlural('', 'nodes'),
  pods: byPlural('', 'pods'),
  services: byPlural('', 'services'),
  endpoints: byPlural('', 'endpoints'),
  events: byPlural('', 'events'),
  deployments: byPlural('apps', 'deployments'),
  replicasets: byPlural('apps', 'replicasets'),
  daemonsets: byPlural('apps', 'daemonsets'),
  secrets: byPlural('', 'secrets'),
  configmaps: byPlural('', 'configmaps'),
  machines: byPlural('flotilla.dev', 'machines'),
} as const;
