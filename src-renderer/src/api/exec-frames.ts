// Kubernetes' remote command protocol as the browser speaks it over a WebSocket (v5/v4.channel.k8s.io):
// every binary message starts with one channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error (one
// metav1.Status JSON when the command ends), 4 resize ({"Width":…,"Height":…}); v5 adds 255 +
// channel = "this channel is closed". Pure functions, so the framing is tested without a socket.
import { EXEC_SUBPROTOCOLS, ExecChannel } from '../../../src-main/shared/agent-api';

export { EXEC_SUBPROTOCOLS, ExecChannel };

/** The subprotocol prefix that carries a bearer token (a browser WebSocket cannot send headers). */
export const BEARER_SUBPROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

const encoder = new TextEncoder();

function frame(channel: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(payload.length + 1);
  out[0] = channel;
  out.set(payload, 1);
  return out;
}

/** Keyboard input for the command. */
export function encodeStdin(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return frame(ExecChannel.stdin, typeof data === 'string' ? encoder.encode(data) : data);
}

/** The terminal's size in character cells (the kubelet's TerminalSize JSON). */
export function encodeResize(cols: number, rows: number): Uint8Array<ArrayBuffer> {
  const size = { Width: Math.max(1, Math.floor(cols)), Height: Math.max(1, Math.floor(rows)) };
  return frame(ExecChannel.resize, encoder.encode(JSON.stringify(size)));
}

/** v5 only: end of input (the command sees EOF on stdin). */
export function encodeCloseStdin(): Uint8Array<ArrayBuffer> {
  return new Uint8Array([ExecChannel.close, ExecChannel.stdin]);
}

export interface ExecFrame {
  channel: number;
  payload: Uint8Array;
}

/** Splits a received message into its channel and payload; undefined for an empty message. */
export function decodeFrame(data: ArrayBuffer | Uint8Array): ExecFrame | undefined {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length === 0) return undefined;
  return { channel: bytes[0]!, payload: bytes.subarray(1) };
}

export interface ExitStatus {
  success: boolean;
  /** The command's exit code when the server said (0 on success). */
  exitCode?: number;
  message: string;
}

/**
 * The error channel's Status: Success, a NonZeroExitCode with the code in details.causes (as the
 * kubelet reports it), or another failure (the command could not be started).
 */
export function parseExitStatus(payload: Uint8Array | string): ExitStatus {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  let status: {
    status?: string;
    message?: string;
    reason?: string;
    details?: { causes?: { reason?: string; message?: string }[] };
  };
  try {
    status = JSON.parse(text) as typeof status;
  } catch {
    return { success: false, message: text.trim() || 'the command failed' };
  }
  if (status.status === 'Success') return { success: true, exitCode: 0, message: 'exited with code 0' };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message !== undefined ? Number(cause.message) : NaN;
  if (status.reason === 'NonZeroExitCode' && Number.isInteger(code))
    return { success: false, exitCode: code, message: `exited with code ${code}` };
  return { success: false, message: status.message || 'the command failed' };
}

/** base64url without padding: '=' is not allowed in a WebSocket subprotocol name. */
export function base64Url(text: string): string {
  const bytes = encoder.encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The subprotocols to offer: the channel protocols, newest first, then the token. */
export function execSubprotocols(token: string | undefined): string[] {
  return [...EXEC_SUBPROTOCOLS, ...(token ? [`${BEARER_SUBPROTOCOL_PREFIX}${base64Url(token)}`] : [])];
}

/** The exec URL for a pod's container: an interactive shell unless told otherwise. */
export function execPath(
  namespace: string,
  pod: string,
  container: string,
  command: readonly string[] = ['sh'],
  tty = true,
): string {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  q.set('container', container);
  q.set('stdin', '1');
  q.set('stdout', '1');
  // With a TTY, stderr is merged into stdout by the terminal; asking for it separately is an error.
  if (!tty) q.set('stderr', '1');
  if (tty) q.set('tty', '1');
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${q}`;
}
