// Who sent a request. Two ways in, tried in Kubernetes' order:
//  1. a client certificate: the TLS layer has already verified its chain against the cluster CA
//     (`socket.authorized`); user = CN, groups = every O. The server asks for certificates but does
//     not require them (`requestCert: true, rejectUnauthorized: false`), so this is checked here.
//  2. a bearer token (`Authorization: Bearer …`, or for WebSocket clients that cannot set headers,
//     the `base64url.bearer.authorization.k8s.io.…` subprotocol), looked up in the token store.
// Anything else is anonymous: undefined, which the server answers with 401.
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { TokenAuthenticator } from './tokens';
import type { UserInfo } from './user';
import { withAuthenticatedGroup } from './user';

export type Authenticator = (req: IncomingMessage) => UserInfo | undefined;

export interface AuthenticatorOptions {
  /** The cluster CA (PEM). A peer certificate must be issued by it, even if the socket says authorized. */
  caPem: string;
  tokens: TokenAuthenticator;
}

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const WS_TOKEN_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const ca = new X509Certificate(options.caPem);
  // A keep-alive connection carries many requests with one certificate: verify it once per socket.
  const bySocket = new WeakMap<object, UserInfo | null>();

  const fromCertificate = (req: IncomingMessage): UserInfo | undefined => {
    const socket = req.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
    let user = bySocket.get(socket);
    if (user === undefined) {
      user = userFromPeerCertificate(socket, ca) ?? null;
      bySocket.set(socket, user);
    }
    return user ? withAuthenticatedGroup(user) : undefined;
  };

  return (req) => {
    const certUser = fromCertificate(req);
    if (certUser) return certUser;
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    const user = options.tokens.authenticate(token);
    return user ? withAuthenticatedGroup(user) : undefined;
  };
}

/** CN and O of an already-verified peer certificate, after checking it is ours and meant for clients. */
export function userFromPeerCertificate(socket: TLSSocket, ca: X509Certificate): UserInfo | undefined {
  const peer = socket.getPeerCertificate(false);
  if (!peer || !peer.raw) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(peer.raw);
  } catch {
    return undefined;
  }
  // Defence in depth: the server's `ca` option could one day list more than the cluster CA.
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return undefined;
  const eku = cert.keyUsage; // Node names the extended key usage list `keyUsage`
  if (eku && eku.length > 0 && !eku.includes(CLIENT_AUTH_OID)) return undefined;
  const cn = first(peer.subject?.CN);
  if (!cn) return undefined;
  return { name: cn, groups: all(peer.subject?.O) };
}

/** The bearer token of a request, or undefined when it carries none. */
export function bearerToken(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const match = /^bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : undefined;
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols) {
    for (const p of protocols.split(',').map((s) => s.trim())) {
      if (p.startsWith(WS_TOKEN_PREFIX)) {
        const token = Buffer.from(p.slice(WS_TOKEN_PREFIX.length), 'base64url').toString('utf8');
        return token || undefined;
      }
    }
  }
  return undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}
