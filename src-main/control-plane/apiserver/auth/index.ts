// Authentication (who is this?) and authorization (may they?) for the API server.
export type { Authenticator, AuthenticatorOptions } from './authenticator';
export { bearerToken, createAuthenticator } from './authenticator';
export type { Authorize, AuthorizerRule, Decision, RequestAttributes } from './authorizer';
export {
  authorize,
  createAuthorizer,
  DEFAULT_RULES,
  discoveryRule,
  isResourceRequest,
  mastersRule,
} from './authorizer';
export { AuthError } from './errors';
export type { AuthErrorCode } from './errors';
export { forbiddenMessage, forbiddenStatus, unauthorizedStatus } from './status';
export type { AddTokenOptions, TokenAuthenticator, TokenRecord } from './tokens';
export { ADMIN_TOKEN_ID, hashToken, loadTokenStore, TokenStore } from './tokens';
export type { UserInfo } from './user';
export { ADMIN_USER, GROUP_AUTHENTICATED, GROUP_MASTERS, GROUP_NODES, NODE_USER_PREFIX } from './user';
