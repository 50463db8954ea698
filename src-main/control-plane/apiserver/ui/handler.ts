// Serves the built web UI (the same Vue app the desktop shell loads) under /ui/ on the API server's
// origin, so the page's API calls are same-origin and the CSP can say `connect-src 'self'`. Also the
// login exchange: POST /ui/session trades a one-time login token for a session bearer token.
// Static files are public (they hold no secrets); every API call the page makes is authenticated.
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { LoginTokens } from './login-tokens';

export const UI_BASE_PATH = '/ui';

/**
 * No inline scripts, nothing from other origins. The one exception for styles: the code editor
 * (CodeMirror) writes its theme into <style> elements, which carry a per-response nonce that the
 * page reads from `<meta name="csp-nonce">`. Vue sets element styles through the CSSOM, which CSP
 * allows without exceptions.
 */
export function uiContentSecurityPolicy(styleNonce?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    styleNonce ? `style-src 'self' 'nonce-${styleNonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const UI_CONTENT_SECURITY_POLICY = uiContentSecurityPolicy();

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': UI_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

const MAX_SESSION_BODY = 4096;

export interface UiHandlerOptions {
  /** The built renderer (`out/renderer`, holding index.html and assets/). */
  distDir: string;
  /** Enables POST/DELETE /ui/session. Without it the page can only be used with a token from elsewhere. */
  login?: LoginTokens;
}

/** Handles the request and returns true when it is a /ui request; false leaves it to the API server. */
export type UiHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createUiHandler(options: UiHandlerOptions): UiHandler {
  const root = normalize(options.distDir);

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    const path = url.pathname;
    if (path !== UI_BASE_PATH && !path.startsWith(`${UI_BASE_PATH}/`)) return false;
    const method = req.method ?? 'GET';

    if (path === `${UI_BASE_PATH}/session`) {
      handleSession(req, res, method, options.login).catch((err: unknown) =>
        fail(res, 500, (err as Error).message),
      );
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      fail(res, 405, `${method} is not allowed on ${path}`, { Allow: 'GET, HEAD' });
      return true;
    }
    if (path === UI_BASE_PATH) {
      res.writeHead(301, { ...SECURITY_HEADERS, Location: `${UI_BASE_PATH}/` });
      res.end();
      return true;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(UI_BASE_PATH.length + 1));
    } catch {
      fail(res, 400, 'malformed path');
      return true;
    }
    if (relative === '' || relative === 'index.html') relative = 'index.html';
    const file = normalize(join(root, relative));
    if (!file.startsWith(root + sep) || relative.includes('\0')) {
      fail(res, 404, 'not found');
      return true;
    }
    const serve =
      relative === 'index.html'
        ? serveIndex(res, file, method === 'HEAD')
        : serveFile(res, file, method === 'HEAD');
    serve.catch((err: unknown) => fail(res, 500, (err as Error).message));
    return true;
  };
}

/** index.html gets a fresh style nonce on every load, announced to the page in a meta tag. */
async function serveIndex(res: ServerResponse, file: string, headOnly: boolean): Promise<void> {
  let html: string;
  try {
    html = await readFile(file, 'utf8');
  } catch {
    return fail(res, 503, 'The web UI is not built. Run `npm run build:ui`, then reload this page.');
  }
  const nonce = randomBytes(18).toString('base64');
  const body = Buffer.from(
    html.replace(/<head>/i, `<head>\n    <meta name="csp-nonce" content="${nonce}" />`),
    'utf8',
  );
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Security-Policy': uiContentSecurityPolicy(nonce),
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
  });
  res.end(headOnly ? undefined : body);
}

async function serveFile(res: ServerResponse, file: string, headOnly: boolean): Promise<void> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    return fail(res, 404, 'not found');
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(size),
    // Built assets carry a content hash in their name; anything else is revalidated.
    'Cache-Control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (headOnly) {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}

async function handleSession(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  login: LoginTokens | undefined,
): Promise<void> {
  if (!login) return fail(res, 404, 'login is not enabled on this server');
  if (method === 'DELETE') {
    const token = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const ended = token !== undefined && login.revokeSession(token);
    return sendJson(
      res,
      ended ? 200 : 401,
      ended ? { ended: true } : statusBody(401, 'Unauthorized', 'no such session'),
    );
  }
  if (method !== 'POST')
    return fail(res, 405, `${method} is not allowed on /ui/session`, { Allow: 'POST, DELETE' });
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return fail(res, 415, 'send the login token as application/json');
  let body: string;
  try {
    body = await readLimited(req, MAX_SESSION_BODY);
  } catch {
    return fail(res, 413, 'request body too large');
  }
  let token: unknown;
  try {
    token = (JSON.parse(body) as { token?: unknown })?.token;
  } catch {
    return fail(res, 400, 'the body must be JSON: {"token": "…"}');
  }
  const session = typeof token === 'string' ? login.exchange(token) : undefined;
  if (!session) {
    return sendJson(
      res,
      401,
      statusBody(
        401,
        'Unauthorized',
        'this login link is invalid, expired or already used; ask the server for a new one',
      ),
    );
  }
  sendJson(res, 200, {
    sessionToken: session.sessionToken,
    user: { name: session.user.name },
    expiresAt: session.expiresAt,
  });
}

function readLimited(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Errors as Kubernetes Status bodies, like every other answer on this origin. */
function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function fail(
  res: ServerResponse,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, code, statusBody(code, REASONS[code] ?? 'InternalError', message), headers);
}

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    ...SECURITY_HEADERS,
    ...headers,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
