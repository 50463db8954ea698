// The page's Content-Security-Policy allows <style> elements only with the nonce index.html was served
// with (announced in <meta name="csp-nonce">). Libraries that write their own <style> elements need it.

export function styleNonce(): string | undefined {
  return document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content || undefined;
}

/**
 * Runs `fn` with every <style> element created during it carrying the page's nonce. xterm.js creates
 * its theme and dimension <style> elements when it opens and has no nonce option; this is the narrowest
 * way to let them apply under the strict policy (no 'unsafe-inline').
 */
export function withStyleNonce<T>(fn: () => T): T {
  const nonce = styleNonce();
  if (!nonce) return fn();
  const original = document.createElement;
  document.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    const el = original.call(this, tag, options);
    if (tag.toLowerCase() === 'style') el.setAttribute('nonce', nonce);
    return el;
  } as typeof document.createElement;
  try {
    return fn();
  } finally {
    document.createElement = original;
  }
}
