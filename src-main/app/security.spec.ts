import { describe, expect, it } from 'vitest';
import {
  APP_CONTENT_SECURITY_POLICY,
  externalUrlToOpen,
  isAllowedNavigation,
  originOf,
  withContentSecurityPolicy,
} from './security';

const app = 'https://127.0.0.1:6443';

describe('window security policy', () => {
  it('allows navigation only within the app origin', () => {
    expect(isAllowedNavigation('https://127.0.0.1:6443/ui/#/pods', app)).toBe(true);
    expect(isAllowedNavigation('https://127.0.0.1:6444/ui/', app)).toBe(false);
    expect(isAllowedNavigation('http://127.0.0.1:6443/ui/', app)).toBe(false);
    expect(isAllowedNavigation('https://localhost:6443/ui/', app)).toBe(false);
    expect(isAllowedNavigation('https://evil.example/', app)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', app)).toBe(false);
    expect(isAllowedNavigation('javascript:alert(1)', app)).toBe(false);
    expect(isAllowedNavigation('not a url', app)).toBe(false);
  });

  it('hands only http(s) links to the browser', () => {
    expect(externalUrlToOpen('https://kubernetes.io/docs/')).toBe('https://kubernetes.io/docs/');
    expect(externalUrlToOpen('file:///etc/passwd')).toBeUndefined();
    expect(externalUrlToOpen('smb://server/share')).toBeUndefined();
    expect(externalUrlToOpen('javascript:alert(1)')).toBeUndefined();
    expect(originOf('data:text/html,hi')).toBeUndefined();
  });

  it('adds a CSP to app-origin responses that lack one and keeps the server’s own', () => {
    const added = withContentSecurityPolicy(
      `${app}/api/v1/nodes`,
      { 'Content-Type': ['application/json'] },
      app,
    );
    expect(added['Content-Security-Policy']).toEqual([APP_CONTENT_SECURITY_POLICY]);
    expect(APP_CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(APP_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(APP_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    const own = { 'content-security-policy': ["default-src 'self'; style-src 'self' 'nonce-abc'"] };
    expect(withContentSecurityPolicy(`${app}/ui/`, own, app)).toEqual(own);
    expect(withContentSecurityPolicy('https://example.com/', {}, app)).toEqual({});
    expect(withContentSecurityPolicy(`${app}/x`, undefined, app)['Content-Security-Policy']).toBeDefined();
  });
});
