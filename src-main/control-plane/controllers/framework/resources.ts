// The ResourceInfo entries the controllers use, looked up once from the shared list.
import { resourceFor } from '../../../shared/resources';

export const PODS = resourceFor('', 'pods');
export const REPLICASETS = resourceFor('apps', 'replicasets');
export const DEPLOYMENTS = resourceFor('apps', 'deployments');
export const DAEMONSETS = resourceFor('apps', 'daemonsets');
export const EVENTS = resourceFor('', 'events');
export const NODES = resourceFor('', 'nodes');
export const NAMESPACES = resourceFor('', 'namespaces');
export const SERVICES = resourceFor('', 'services');
export const ENDPOINTS = resourceFor('', 'endpoints');
export const ENDPOINTSLICES = resourceFor('discovery.k8s.io', 'endpointslices');
export const LEASES = resourceFor('coordination.k8s.io', 'leases');

/** Nodes heartbeat through Leases named after them in this namespace. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
