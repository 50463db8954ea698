// The Endpoints controller (kube-controller-manager's endpoint-controller): for every Service with a
// selector, an Endpoints object of the same name lists the pods it selects that have an IP — ready
// ones under `addresses`, the others under `notReadyAddresses` — grouped into subsets by the ports the
// Service's targetPorts resolve to on each pod. Pods being deleted are left out (unless the Service
// publishes not-ready addresses), as in Kubernetes. Services without a selector (such as `default/
// kubernetes`) are not touched. Written only when something changed; failures become Events.
import { deepCopy, jsonEqual, objectKey, splitKey } from '../../../shared/kube/meta';
import type { ObjectMeta, Pod } from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import type { KubeObjectLike } from '../../../shared/kube/types';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { PODS } from '../framework/resources';
import { ENDPOINTS, SERVICES } from '../framework/resources';
import {
  compareIPs,
  hasSelector,
  HEADLESS_LABEL,
  podEndpoint,
  portsKey,
  comparePorts,
  selects,
} from './desired';
import type { EndpointPort, ObjectReference, Service } from './desired';
import { enqueueServicesForPods } from './triggers';

export const ENDPOINT_CONTROLLER = 'endpoint-controller';

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObjectLike {
  metadata: ObjectMeta & { name: string };
  subsets?: EndpointSubset[];
}

/** The subsets for a Service and the pods in its namespace (endpoints.RepackSubsets, deterministic). */
export function computeSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const groups = new Map<
    string,
    { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }
  >();
  const noPorts = (svc.spec?.ports ?? []).length === 0;
  for (const pod of pods) {
    if (!selects(svc, pod)) continue;
    const ep = podEndpoint(svc, pod, false);
    if (!ep || (!noPorts && ep.ports.length === 0)) continue;
    const ports = [...ep.ports].sort(comparePorts);
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    const address: EndpointAddress = {
      ip: ep.ip,
      ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
      targetRef: ep.targetRef,
    };
    (ep.ready ? g.ready : g.notReady).push(address);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => compareIPs(a.ip, b.ip);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => ({
      ...(g.ready.length > 0 ? { addresses: g.ready.sort(byIp) } : {}),
      ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
      ...(g.ports.length > 0 ? { ports: g.ports } : {}),
    }));
}

export function endpointsLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export function createEndpointsController(ctx: ControllerContext): Controller {
  const log = ctx.log.child(ENDPOINT_CONTROLLER);
  const recorder = ctx.recorder(ENDPOINT_CONTROLLER);
  const serviceInformer = ctx.informers.informerFor<Service>(SERVICES);
  const podInformer = ctx.informers.informerFor<Pod>(PODS);
  const endpointsInformer = ctx.informers.informerFor<Endpoints>(ENDPOINTS);

  const controller = createQueueController({
    name: ENDPOINT_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = controller.queue;
  enqueueServicesForPods(serviceInformer, podInformer, queue);
  // Someone else changed or removed an Endpoints object we manage: put it back.
  const ownEndpoints = (ep: Endpoints) => {
    const svc = serviceInformer.lister.get(ep.metadata.name, ep.metadata.namespace);
    if (svc && hasSelector(svc)) queue.add(objectKey(ep));
  };
  endpointsInformer.addHandlers({ onUpdate: (_old, ep) => ownEndpoints(ep), onDelete: ownEndpoints });

  const svcRef = (svc: Service): KubeObjectLike => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: svc.metadata,
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = serviceInformer.lister.get(name, namespace);
    const current = endpointsInformer.lister.get(name, namespace);
    if (!svc) {
      // The Service is gone: so are its endpoints (the cache decides only whether to try).
      if (!current) return;
      try {
        await ctx.api.delete(ENDPOINTS, name, namespace);
      } catch (err) {
        if (!isKubeApiError(err, 404)) throw err;
      }
      return;
    }
    if (!hasSelector(svc)) return;
    const subsets = computeSubsets(svc, podInformer.lister.list(namespace));
    const labels = endpointsLabels(svc);
    if (
      current &&
      jsonEqual(current.subsets ?? [], subsets) &&
      jsonEqual(current.metadata.labels ?? {}, labels)
    )
      return;
    try {
      if (current) {
        const next = deepCopy(current);
        next.metadata.labels = labels;
        next.subsets = subsets;
        await ctx.api.update(ENDPOINTS, next);
      } else {
        await ctx.api.create(
          ENDPOINTS,
          { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, subsets },
          namespace,
        );
      }
    } catch (err) {
      // A conflict means our cache is behind; the informer's event brings us back with fresh state.
      if (isKubeApiError(err, 409)) throw err;
      if (isKubeApiError(err, 403) && /terminat/i.test((err as Error).message)) return;
      recorder.event(
        svcRef(svc),
        'Warning',
        current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint',
        `Failed to ${current ? 'update' : 'create'} endpoint ${namespace}/${name}: ${(err as Error).message}`,
      );
      throw err;
    }
    const ready = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
    const notReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
    log.debug('endpoints updated', { service: key, ready, notReady });
  }

  return controller;
}
