// A remote port forward (`ssh -R`) that stays up: connections to REMOTE_HOST:REMOTE_PORT on the machine
// are carried over SSH to a local address (the API server), for machines that cannot reach the
// control plane directly (a laptop behind NAT). The control plane holds it open; when the SSH
// connection drops it reconnects with backoff and asks for the same remote port again.
import { connect as tcpConnect } from 'node:net';
import type { SshConnection } from './connection';
import { SshError } from './errors';

export type ForwardState = 'connecting' | 'up' | 'down' | 'stopped';

export interface RemoteForwardOptions {
  /** Opens a fresh connection (called for the first attempt and every re-establishment). */
  connect: () => Promise<SshConnection>;
  /** The address the machine listens on. Default 127.0.0.1 (sshd allows only loopback unless GatewayPorts). */
  remoteHost?: string;
  /** 0 lets sshd choose; the port it chose is then kept for re-establishment. */
  remotePort: number;
  /** Where forwarded connections go on this side. */
  local: { host: string; port: number };
  /** Backoff between re-establishment attempts. Default 250 ms doubling up to 5 s. */
  retry?: { initialMs?: number; maxMs?: number };
  onStateChange?: (state: ForwardState, detail?: string) => void;
}

export interface ForwardStatus {
  state: ForwardState;
  remoteHost: string;
  remotePort: number;
  /** How many times the forward was re-established after a drop. */
  reestablished: number;
  /** Connections carried so far. */
  connections: number;
  lastError?: string;
}

export interface RemoteForward {
  readonly remotePort: number;
  status(): ForwardStatus;
  /** The current SSH connection, while up. */
  connection(): SshConnection | undefined;
  /** Resolves once the forward is up again (or now), rejects after the timeout. */
  waitUntilUp(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

function requestForward(conn: SshConnection, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    conn.raw.forwardIn(host, port, (err, bound) => {
      if (err) {
        reject(
          new SshError(
            'ForwardFailed',
            `${conn.name}: the machine refused to listen on ${host}:${port}: ${err.message}`,
            conn.name,
          ),
        );
      } else resolve(port === 0 ? bound : port);
    });
  });
}

/** Ends the sshd processes (only sshd) still listening on the port from an earlier, dead session. */
async function reclaimPort(conn: SshConnection, port: number): Promise<void> {
  await conn
    .exec(
      `for p in $(ss -ltnpH 'sport = :${port}' 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do ` +
        `[ "$(cat /proc/$p/comm 2>/dev/null)" = sshd ] && kill $p; done; ` +
        `i=0; while [ $i -lt 50 ] && ss -ltnH 'sport = :${port}' 2>/dev/null | grep -q .; do sleep 0.1; i=$((i+1)); done`,
      { timeoutMs: 10_000 },
    )
    .catch(() => undefined);
}

/**
 * Opens the forward; resolves once it is up the first time. A first attempt that fails rejects with
 * its typed error (AuthFailed, HostKeyMismatch...): only established forwards are re-established.
 */
export async function openRemoteForward(options: RemoteForwardOptions): Promise<RemoteForward> {
  const remoteHost = options.remoteHost ?? '127.0.0.1';
  const initialMs = options.retry?.initialMs ?? 250;
  const maxMs = options.retry?.maxMs ?? 5000;
  let remotePort = options.remotePort;
  let state: ForwardState = 'connecting';
  let current: SshConnection | undefined;
  let reestablished = 0;
  let connections = 0;
  let lastError: string | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const waiters = new Set<() => void>();
  const sockets = new Set<{ destroy(): void }>();

  // A function, not a comparison inline: `state` changes across awaits, which narrowing cannot see.
  const stopped = (): boolean => state === 'stopped';
  const setState = (s: ForwardState, detail?: string) => {
    state = s;
    options.onStateChange?.(s, detail);
    if (s === 'up') for (const w of [...waiters]) w();
  };

  const attach = async (conn: SshConnection, again: boolean): Promise<void> => {
    conn.raw.on('tcp connection', (info, accept, reject) => {
      if (info.destPort !== remotePort) {
        reject();
        return;
      }
      const channel = accept();
      const local = tcpConnect({ host: options.local.host, port: options.local.port });
      connections++;
      sockets.add(local);
      sockets.add(channel);
      const cleanup = () => {
        local.destroy();
        channel.destroy();
        sockets.delete(local);
        sockets.delete(channel);
      };
      local.on('error', cleanup);
      channel.on('error', cleanup);
      local.on('close', cleanup);
      channel.on('close', cleanup);
      channel.pipe(local).pipe(channel);
    });
    try {
      remotePort = await requestForward(conn, remoteHost, remotePort);
    } catch (err) {
      if (remotePort === 0) throw err;
      // After a link cut the machine's sshd may still hold our old session and its listener (it
      // notices a dead peer only after TCP keepalive, hours later). That session is ours: end it.
      await reclaimPort(conn, remotePort);
      remotePort = await requestForward(conn, remoteHost, remotePort);
    }
    current = conn;
    conn.onClose((reason) => {
      if (current !== conn) return;
      current = undefined;
      if (stopped()) return;
      lastError = reason;
      setState('down', reason);
      schedule(initialMs);
    });
    if (again) reestablished++;
    setState('up');
  };

  const schedule = (delay: number) => {
    if (stopped()) return;
    retryTimer = setTimeout(() => void attempt(delay), delay);
  };

  const attempt = async (delay: number) => {
    if (stopped()) return;
    setState('connecting');
    let conn: SshConnection | undefined;
    try {
      conn = await options.connect();
      if (stopped()) {
        conn.close();
        return;
      }
      await attach(conn, true);
    } catch (err) {
      conn?.close();
      lastError = err instanceof Error ? err.message : String(err);
      if (stopped()) return;
      setState('down', lastError);
      schedule(Math.min(delay * 2, maxMs));
    }
  };

  const first = await options.connect();
  try {
    await attach(first, false);
  } catch (err) {
    first.close();
    throw err;
  }

  return {
    get remotePort() {
      return remotePort;
    },
    status: () => ({
      state,
      remoteHost,
      remotePort,
      reestablished,
      connections,
      ...(lastError ? { lastError } : {}),
    }),
    connection: () => current,
    waitUntilUp(timeoutMs: number) {
      if (state === 'up') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(
            new Error(
              `the forward to port ${remotePort} was not up within ${timeoutMs} ms (${lastError ?? state})`,
            ),
          );
        }, timeoutMs);
        waiters.add(done);
      });
    },
    async stop() {
      setState('stopped');
      clearTimeout(retryTimer);
      for (const s of sockets) s.destroy();
      const conn = current;
      current = undefined;
      if (conn) {
        await new Promise<void>((resolve) => {
          conn.raw.unforwardIn(remoteHost, remotePort, () => resolve());
          setTimeout(resolve, 1000).unref();
        });
        conn.close();
      }
    },
  };
}
