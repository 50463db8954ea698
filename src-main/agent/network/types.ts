// The parts of Service, EndpointSlice (discovery.k8s.io/v1) and Endpoints the service proxy reads.
import type { ObjectMeta } from '../pods/types';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface Service {
  metadata: ObjectMeta;
  spec?: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePort[];
    sessionAffinity?: string;
  };
  [field: string]: unknown;
}

export interface EndpointSlice {
  metadata: ObjectMeta;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
  }[];
  ports?: { name?: string; port?: number; protocol?: Protocol }[];
  [field: string]: unknown;
}

export interface Endpoints {
  metadata: ObjectMeta;
  subsets?: {
    addresses?: { ip: string; nodeName?: string }[];
    notReadyAddresses?: { ip: string }[];
    ports?: { name?: string; port: number; protocol?: Protocol }[];
  }[];
  [field: string]: unknown;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
