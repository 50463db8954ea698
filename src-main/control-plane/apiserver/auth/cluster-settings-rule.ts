// Read access to one published object for every authenticated user: the cluster's settings ConfigMap
// (like kube-public's cluster-info, which kubeadm makes readable to all). Least privilege: get, list
// and watch of that one name only — a list or watch must name it with `fieldSelector=metadata.name=…`
// (the API server authorizes that as a request for the object), so no other ConfigMap in the
// namespace can be read through this rule.
import type { AuthorizerRule } from './authorizer';
import { GROUP_AUTHENTICATED } from './user';

const READ_VERBS = new Set(['get', 'list', 'watch']);

export function createPublishedConfigMapRule(object: { namespace: string; name: string }): AuthorizerRule {
  return (user, attrs) => {
    const matches =
      user.groups.includes(GROUP_AUTHENTICATED) &&
      READ_VERBS.has(attrs.verb) &&
      attrs.group === '' &&
      attrs.resource === 'configmaps' &&
      !attrs.subresource &&
      attrs.namespace === object.namespace &&
      attrs.name === object.name;
    return matches
      ? {
          allowed: true,
          reason: `configmap ${object.namespace}/${object.name} is readable by every authenticated user`,
        }
      : undefined;
  };
}
