// The window's security policy as pure functions of URLs and headers, so the rules are unit-tested
// without Electron: the app's own origin is the only place the window may be; anything else opens in
// the person's browser (http/https only) or nowhere; every response of the app origin carries a CSP.
import { uiContentSecurityPolicy } from '../control-plane/apiserver/ui';

/** The origin (scheme://host:port) of a URL, or undefined when it is not a valid absolute URL. */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.origin === 'null' ? undefined : u.origin;
  } catch {
    return undefined;
  }
}

/** In-window navigation is allowed only within the app's own origin (the API server serving /ui/). */
export function isAllowedNavigation(url: string, appOrigin: string): boolean {
  return originOf(url) === appOrigin;
}

/** Links the page tries to open in a new window go to the default browser, and only if http(s). */
export function externalUrlToOpen(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The policy sent when a response of the app origin carries none (the UI handler sends its own). */
export const APP_CONTENT_SECURITY_POLICY = uiContentSecurityPolicy();

type Headers = Record<string, string[] | string>;

/**
 * Response headers with a CSP guaranteed for the app origin. A policy the server already sent is
 * kept as it is: the UI's index.html carries a per-response style nonce that a second, stricter
 * policy would cancel (browsers enforce every policy present). Other origins pass untouched: the
 * window never navigates there, and subresources from elsewhere are refused by the policy itself.
 */
export function withContentSecurityPolicy(
  url: string,
  headers: Headers | undefined,
  appOrigin: string,
): Headers {
  const out: Headers = { ...(headers ?? {}) };
  if (originOf(url) !== appOrigin) return out;
  const present = Object.keys(out).some((k) => k.toLowerCase() === 'content-security-policy');
  if (!present) out['Content-Security-Policy'] = [APP_CONTENT_SECURITY_POLICY];
  return out;
}
