// The web UI on the API server's origin: static files under /ui/ and the one-time login.
export type { UiHandler, UiHandlerOptions } from './handler';
export {
  createUiHandler,
  UI_BASE_PATH,
  UI_CONTENT_SECURITY_POLICY,
  uiContentSecurityPolicy,
} from './handler';
export type { LoginTokenOptions, LoginTokens, Session } from './login-tokens';
export { createLoginTokens } from './login-tokens';
