// What a Service's endpoints should be, computed from its pods (pure; shared by the Endpoints and the
// EndpointSlice controllers): which pods count, their readiness, and the ports a Service port's
// targetPort resolves to on each pod (a number, or a named container port).
import type { ObjectMeta, Pod } from '../../../shared/kube/objects';
import type { KubeObjectLike } from '../../../shared/kube/types';
import { matchesLabels, selectorFromLabels } from '../../../shared/labels';
import { isPodTerminal, isPodReady } from '../framework/pods';

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
}

export interface Service extends KubeObjectLike {
  metadata: ObjectMeta & { name: string };
  spec?: {
    selector?: Record<string, string>;
    ports?: ServicePort[];
    clusterIP?: string;
    type?: string;
    publishNotReadyAddresses?: boolean;
  };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface ObjectReference {
  kind: 'Pod';
  namespace?: string;
  name?: string;
  uid?: string;
}

export interface PodEndpoint {
  ip: string;
  nodeName?: string;
  targetRef: ObjectReference;
  /** The pod's Ready condition is True (or the Service publishes not-ready addresses). */
  ready: boolean;
  /** The pod's Ready condition, regardless of termination (EndpointSlice `serving`). */
  serving: boolean;
  terminating: boolean;
  /** The Service ports this pod serves, resolved (may be fewer than the Service's if a name is missing). */
  ports: EndpointPort[];
}

export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

interface ContainerPortSpec {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** Only Services with a selector get endpoints from a controller; the others are managed by hand. */
export function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

export function selects(svc: Service, pod: Pod): boolean {
  return (
    hasSelector(svc) &&
    pod.metadata.namespace === svc.metadata.namespace &&
    matchesLabels(selectorFromLabels(svc.spec?.selector), pod.metadata.labels)
  );
}

/** The port a Service port reaches on a pod (podutil.FindPort), or undefined if the name is not there. */
export function resolveTargetPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort;
  if (target === undefined || target === null || target === '' || target === 0) return port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  const containers =
    (pod.spec as { containers?: { ports?: ContainerPortSpec[] }[] } | undefined)?.containers ?? [];
  for (const c of containers) {
    for (const p of c.ports ?? [])
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/**
 * The endpoint a pod contributes, or undefined when it contributes none: no IP yet, finished, or
 * (when `includeTerminating` is false, as for Endpoints) being deleted.
 */
export function podEndpoint(svc: Service, pod: Pod, includeTerminating: boolean): PodEndpoint | undefined {
  const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
  if (!ip || isPodTerminal(pod)) return undefined;
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  if (terminating && !includeTerminating && !publishNotReady) return undefined;
  const serving = isPodReady(pod);
  const ports: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = resolveTargetPort(pod, sp);
    if (port === undefined) continue;
    ports.push({
      ...(sp.name ? { name: sp.name } : {}),
      port,
      protocol: sp.protocol ?? 'TCP',
      ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
    });
  }
  return {
    ip,
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    },
    ready: publishNotReady || (serving && !terminating),
    serving: publishNotReady || serving,
    terminating,
    ports,
  };
}

export function portsKey(ports: readonly EndpointPort[]): string {
  return JSON.stringify(
    [...ports].sort(comparePorts).map((p) => [p.name ?? '', p.port, p.protocol, p.appProtocol ?? '']),
  );
}

export function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (
    (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || a.protocol.localeCompare(b.protocol)
  );
}

/** Compares IPv4/IPv6 text so 10.0.0.9 sorts before 10.0.0.10. */
export function compareIPs(a: string, b: string): number {
  const pa = a.split(/[.:]/).map((x) => parseInt(x, a.includes(':') ? 16 : 10) || 0);
  const pb = b.split(/[.:]/).map((x) => parseInt(x, b.includes(':') ? 16 : 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return a.localeCompare(b);
}

/** Pods whose endpoint-relevant facts differ (labels, IP, readiness, deletion, node, phase). */
export function endpointFactsChanged(a: Pod, b: Pod): boolean {
  const facts = (p: Pod) =>
    JSON.stringify([
      p.metadata.labels ?? {},
      (p.status as { podIP?: string } | undefined)?.podIP,
      isPodReady(p),
      Boolean(p.metadata.deletionTimestamp),
      p.spec?.nodeName,
      p.status?.phase,
    ]);
  return facts(a) !== facts(b);
}
