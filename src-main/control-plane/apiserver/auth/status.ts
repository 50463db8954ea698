// The Kubernetes Status bodies for 401 and 403, worded as kube-apiserver words them so kubectl prints
// the familiar "Error from server (Forbidden): pods is forbidden: User "x" cannot list resource …".
import type { Status } from '../../../shared/status';
import type { RequestAttributes } from './authorizer';

export function unauthorizedStatus(): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  };
}

/** `User "u" cannot get resource "pods/log" in API group "" in the namespace "ns"` (no reason suffix). */
export function forbiddenMessage(userName: string, attrs: RequestAttributes): string {
  if (!attrs.resource)
    return `User ${JSON.stringify(userName)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path ?? '')}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const where = attrs.namespace
    ? `in the namespace ${JSON.stringify(attrs.namespace)}`
    : 'at the cluster scope';
  return `User ${JSON.stringify(userName)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.group ?? '')} ${where}`;
}

export function forbiddenStatus(userName: string, attrs: RequestAttributes, reason?: string): Status {
  const detail = forbiddenMessage(userName, attrs) + (reason ? `: ${reason}` : '');
  if (!attrs.resource) {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `forbidden: ${detail}`,
      reason: 'Forbidden',
      details: {},
      code: 403,
    };
  }
  const qualified = attrs.group ? `${attrs.resource}.${attrs.group}` : attrs.resource;
  const message = attrs.name
    ? `${qualified} ${JSON.stringify(attrs.name)} is forbidden: ${detail}`
    : `${qualified} is forbidden: ${detail}`;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Forbidden',
    details: {
      ...(attrs.name ? { name: attrs.name } : {}),
      ...(attrs.group ? { group: attrs.group } : {}),
      kind: attrs.resource,
    },
    code: 403,
  };
}
