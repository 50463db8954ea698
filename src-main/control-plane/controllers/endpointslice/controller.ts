// The EndpointSlice controller (kube-controller-manager's endpointslice-controller): for every Service
// with a selector, discovery.k8s.io/v1 EndpointSlices (addressType IPv4, label
// `kubernetes.io/service-name`, owned by the Service) hold one endpoint per selected pod with an IP,
// with conditions ready / serving / terminating, nodeName and targetRef. Pods being deleted stay listed
// as terminating (not ready) so proxies can drain them. Endpoints are grouped into slices by their
// resolved ports, at most `maxEndpointsPerSlice` per slice; a Service with no endpoints keeps one empty
// placeholder slice. Existing slices are updated in place where they fit, so names stay stable.
import { deepCopy, jsonEqual, newControllerRef, objectKey, splitKey } from '../../../shared/kube/meta';
import type { ObjectMeta, Pod } from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import type { KubeObjectLike } from '../../../shared/kube/types';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { createExpectations } from '../framework/expectations';
import { PODS } from '../framework/resources';
import {
  comparePorts,
  compareIPs,
  hasSelector,
  HEADLESS_LABEL,
  podEndpoint,
  portsKey,
  selects,
} from '../endpoints/desired';
import type { EndpointPort, ObjectReference, Service } from '../endpoints/desired';
import { enqueueServicesForPods } from '../endpoints/triggers';
import { ENDPOINTSLICES, SERVICES } from '../framework/resources';

export const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

export interface EndpointSliceOptions {
  /** At most this many endpoints per slice (default 100, as kube-controller-manager). */
  maxEndpointsPerSlice?: number;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointSlice extends KubeObjectLike {
  metadata: ObjectMeta & { name: string };
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: SliceEndpoint[] | null;
  ports?: EndpointPort[] | null;
}

interface DesiredSlice {
  key: string;
  ports: EndpointPort[];
  endpoints: SliceEndpoint[];
}

/** The slices a Service should have, in a stable order. Pure. */
export function desiredSlices(svc: Service, pods: readonly Pod[], maxPerSlice: number): DesiredSlice[] {
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: SliceEndpoint[] }>();
  const noPorts = (svc.spec?.ports ?? []).length === 0;
  for (const pod of pods) {
    if (!selects(svc, pod)) continue;
    const ep = podEndpoint(svc, pod, true);
    if (!ep || ep.ip.includes(':') || (!noPorts && ep.ports.length === 0)) continue;
    const ports = [...ep.ports].sort(comparePorts);
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push({
      addresses: [ep.ip],
      conditions: { ready: ep.ready, serving: ep.serving, terminating: ep.terminating },
      ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
      targetRef: ep.targetRef,
    });
  }
  const out: DesiredSlice[] = [];
  for (const [key, g] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    g.endpoints.sort((a, b) => compareIPs(a.addresses[0] ?? '', b.addresses[0] ?? ''));
    for (let i = 0; i < g.endpoints.length; i += maxPerSlice)
      out.push({ key, ports: g.ports, endpoints: g.endpoints.slice(i, i + maxPerSlice) });
  }
  if (out.length === 0) out.push({ key: portsKey([]), ports: [], endpoints: [] });
  return out;
}

export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {
    ...(svc.metadata.labels ?? {}),
    [SERVICE_NAME_LABEL]: svc.metadata.name,
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export function createEndpointSliceController(
  ctx: ControllerContext,
  options: EndpointSliceOptions = {},
): Controller {
  const maxPerSlice = options.maxEndpointsPerSlice ?? 100;
  const log = ctx.log.child(ENDPOINTSLICE_CONTROLLER);
  const recorder = ctx.recorder(ENDPOINTSLICE_CONTROLLER);
  const serviceInformer = ctx.informers.informerFor<Service>(SERVICES);
  const podInformer = ctx.informers.informerFor<Pod>(PODS);
  const sliceInformer = ctx.informers.informerFor<EndpointSlice>(ENDPOINTSLICES);
  const expectations = createExpectations(ctx.clock);

  const controller = createQueueController({
    name: ENDPOINTSLICE_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = controller.queue;
  enqueueServicesForPods(serviceInformer, podInformer, queue);

  const ours = (s: EndpointSlice) =>
    s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && Boolean(s.metadata.labels?.[SERVICE_NAME_LABEL]);
  const serviceKeyOf = (s: EndpointSlice) =>
    `${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL]}`;
  sliceInformer.addHandlers({
    onAdd(s) {
      if (!ours(s)) return;
      expectations.creationObserved(serviceKeyOf(s));
      queue.add(serviceKeyOf(s));
    },
    onUpdate: (_old, s) => ours(s) && queue.add(serviceKeyOf(s)),
    onDelete(s) {
      if (!ours(s)) return;
      expectations.deletionObserved(serviceKeyOf(s), objectKey(s));
      queue.add(serviceKeyOf(s));
    },
  });

  const svcRef = (svc: Service): KubeObjectLike => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: svc.metadata,
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = serviceInformer.lister.get(name, namespace);
    // A deleted Service's slices go with it through their owner reference (garbage collector).
    if (!svc || !hasSelector(svc) || svc.metadata.deletionTimestamp) return;
    // Slices we created or deleted that the cache has not shown yet: acting now would double them.
    if (!expectations.satisfied(key)) return;
    const existing = sliceInformer.lister
      .list(namespace)
      .filter(
        (s) => ours(s) && s.metadata.labels?.[SERVICE_NAME_LABEL] === name && !s.metadata.deletionTimestamp,
      )
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const want = desiredSlices(svc, podInformer.lister.list(namespace), maxPerSlice);
    const labels = sliceLabels(svc);
    const ownerRef = newControllerRef(svc, 'v1', 'Service');

    // Pair each wanted slice with an existing one of the same port set, keeping names stable.
    const pool = new Map<string, EndpointSlice[]>();
    for (const s of existing) {
      const k = portsKey(s.ports ?? []);
      pool.set(k, [...(pool.get(k) ?? []), s]);
    }
    const updates: EndpointSlice[] = [];
    const creates: EndpointSlice[] = [];
    for (const d of want) {
      const match = pool.get(d.key)?.shift();
      if (!match) {
        creates.push({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: '', generateName: `${name}-`, namespace, labels, ownerReferences: [ownerRef] },
          addressType: 'IPv4',
          endpoints: d.endpoints,
          ports: d.ports,
        });
        continue;
      }
      const sameOwner = (match.metadata.ownerReferences ?? []).some((r) => r.uid === svc.metadata.uid);
      if (
        jsonEqual(match.endpoints ?? [], d.endpoints) &&
        jsonEqual(match.ports ?? [], d.ports) &&
        jsonEqual(match.metadata.labels ?? {}, labels) &&
        sameOwner
      )
        continue;
      const next = deepCopy(match);
      next.endpoints = d.endpoints;
      next.ports = d.ports;
      next.metadata.labels = labels;
      if (!sameOwner) next.metadata.ownerReferences = [ownerRef];
      updates.push(next);
    }
    const deletes = [...pool.values()].flat();

    try {
      for (const s of updates) await ctx.api.update(ENDPOINTSLICES, s);
      if (creates.length > 0) expectations.expectCreations(key, creates.length);
      for (const [i, s] of creates.entries()) {
        const { name: _unset, ...metadata } = s.metadata;
        void _unset;
        try {
          await ctx.api.create(ENDPOINTSLICES, { ...s, metadata }, namespace);
        } catch (err) {
          expectations.lowerCreations(key, creates.length - i);
          throw err;
        }
      }
      if (deletes.length > 0) expectations.expectDeletions(key, deletes.map(objectKey));
      for (const s of deletes) {
        try {
          await ctx.api.delete(ENDPOINTSLICES, s.metadata.name, namespace, {
            preconditions: { uid: s.metadata.uid },
          });
        } catch (err) {
          expectations.deletionObserved(key, objectKey(s));
          if (!isKubeApiError(err, 404) && !isKubeApiError(err, 409)) throw err;
        }
      }
    } catch (err) {
      if (isKubeApiError(err, 409)) throw err; // stale cache: retried with fresh state
      if (isKubeApiError(err, 403) && /terminat/i.test((err as Error).message)) return;
      recorder.event(
        svcRef(svc),
        'Warning',
        'FailedToUpdateEndpointSlices',
        `Error updating Endpoint Slices for Service ${key}: ${(err as Error).message}`,
      );
      throw err;
    }
    if (updates.length + creates.length + deletes.length > 0) {
      log.debug('endpoint slices synced', {
        service: key,
        updated: updates.length,
        created: creates.length,
        deleted: deletes.length,
      });
    }
  }

  return controller;
}
