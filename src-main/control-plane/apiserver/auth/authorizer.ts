// May this user do this? A list of rules asked in order (Kubernetes' union authorizer): the first rule
// that allows or denies decides; a rule with no opinion passes to the next; if none decides, the
// request is denied. Today: members of system:masters may do anything, and authenticated users may
// read the discovery endpoints (Kubernetes' system:discovery role). The node authorizer (a kubelet may
// touch only its own Node and the pods bound to it) is the next rule to add.
import type { UserInfo } from './user';
import { GROUP_AUTHENTICATED, GROUP_MASTERS } from './user';

/** What a request wants to do (Kubernetes authorizer.Attributes). */
export interface RequestAttributes {
  /** get list watch create update patch delete deletecollection (resource requests), or the HTTP verb lower-cased (others). */
  verb: string;
  /** API group, '' for core. Absent for non-resource requests. */
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** URL path of a non-resource request (/version, /healthz, /api, /apis/…). */
  path?: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

/** A rule returns a decision, or undefined when it has no opinion on this request. */
export type AuthorizerRule = (user: UserInfo, attrs: RequestAttributes) => Decision | undefined;

export type Authorize = (user: UserInfo, attrs: RequestAttributes) => Decision;

export const mastersRule: AuthorizerRule = (user) =>
  user.groups.includes(GROUP_MASTERS) ? { allowed: true, reason: `member of ${GROUP_MASTERS}` } : undefined;

const DISCOVERY_PATHS = ['/api', '/apis', '/version', '/healthz', '/livez', '/readyz', '/openapi'];

/** Resource requests name a resource; others (`/version`, `/apis`) carry only a path. */
export function isResourceRequest(attrs: RequestAttributes): boolean {
  return Boolean(attrs.resource);
}

/** Read-only discovery for every authenticated user, like Kubernetes' system:discovery binding. */
export const discoveryRule: AuthorizerRule = (user, attrs) => {
  if (isResourceRequest(attrs) || attrs.verb !== 'get' || !user.groups.includes(GROUP_AUTHENTICATED))
    return undefined;
  const path = attrs.path ?? '';
  const ok = DISCOVERY_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
  return ok ? { allowed: true, reason: 'discovery is readable by every authenticated user' } : undefined;
};

export const DEFAULT_RULES: readonly AuthorizerRule[] = [mastersRule, discoveryRule];

export function createAuthorizer(rules: readonly AuthorizerRule[] = DEFAULT_RULES): Authorize {
  return (user, attrs) => {
    for (const rule of rules) {
      const decision = rule(user, attrs);
      if (decision) return decision;
    }
    return { allowed: false, reason: `no rule allows user ${JSON.stringify(user.name)} this request` };
  };
}

export const authorize: Authorize = createAuthorizer(DEFAULT_RULES);
