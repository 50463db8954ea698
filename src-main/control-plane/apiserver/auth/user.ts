// Who is making a request, as the authorizer sees it (Kubernetes user.Info: name, uid, groups).

export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
}

/** Members may do anything (Kubernetes' cluster-admin binding). */
export const GROUP_MASTERS = 'system:masters';
/** Every authenticated user is in this group. */
export const GROUP_AUTHENTICATED = 'system:authenticated';
/** Node agents (kubelets): CN=system:node:NAME, O=system:nodes. */
export const GROUP_NODES = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

export const ADMIN_USER: UserInfo = { name: 'flotilla-admin', groups: [GROUP_MASTERS] };

/** A copy of the user with `system:authenticated` added (once). */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  const groups = user.groups.includes(GROUP_AUTHENTICATED)
    ? user.groups
    : [...user.groups, GROUP_AUTHENTICATED];
  return { ...user, groups: [...groups] };
}
