// Services with their ports and the endpoints behind them (pod IP → node).
import { compareValues } from '../../lib/format';
import type { Endpoints, Service } from '../../lib/kube-types';

export interface EndpointTarget {
  ip: string;
  node: string;
  pod: string;
  ready: boolean;
}

export interface ServiceRow {
  key: string;
  name: string;
  namespace: string;
  type: string;
  clusterIP: string;
  ports: string[];
  selector: string;
  endpoints: EndpointTarget[];
}

export function formatServicePort(p: {
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
}): string {
  const node = p.nodePort ? `:${p.nodePort}` : '';
  const target =
    p.targetPort !== undefined && String(p.targetPort) !== String(p.port) ? ` → ${p.targetPort}` : '';
  return `${p.port}${node}/${p.protocol ?? 'TCP'}${target}`;
}

export function serviceRows(services: readonly Service[], endpoints: readonly Endpoints[]): ServiceRow[] {
  const byKey = new Map(endpoints.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
  return services
    .map((s) => {
      const namespace = s.metadata.namespace ?? 'default';
      const ep = byKey.get(`${namespace}/${s.metadata.name}`);
      const targets: EndpointTarget[] = [];
      for (const subset of ep?.subsets ?? []) {
        for (const a of subset.addresses ?? [])
          targets.push({ ip: a.ip, node: a.nodeName ?? '', pod: a.targetRef?.name ?? '', ready: true });
        for (const a of subset.notReadyAddresses ?? [])
          targets.push({ ip: a.ip, node: a.nodeName ?? '', pod: a.targetRef?.name ?? '', ready: false });
      }
      return {
        key: s.metadata.uid ?? `${namespace}/${s.metadata.name}`,
        name: s.metadata.name,
        namespace,
        type: s.spec?.type ?? 'ClusterIP',
        clusterIP: s.spec?.clusterIP ?? '',
        ports: (s.spec?.ports ?? []).map(formatServicePort),
        selector: Object.entries(s.spec?.selector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        endpoints: targets,
      };
    })
    .sort((a, b) => compareValues(a.namespace, b.namespace) || compareValues(a.name, b.name));
}
