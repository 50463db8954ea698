// One SSH connection to a machine (over ssh2): connect with a key or password, optionally through a
// jump host; verify the host key against the accepted fingerprint; run commands; upload files; open
// remote forwards. Failures are the typed errors of ./errors.
//
// Host keys are never accepted silently: without an accepted fingerprint the connection stops at the
// key exchange with HostKeyUnknown (carrying what the host presented), and a host presenting another
// key than the accepted one is refused with HostKeyMismatch naming both.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import {
  AuthFailed,
  CommandFailed,
  Disconnected,
  HostKeyMismatch,
  HostKeyUnknown,
  HostUnreachable,
  onJumpHop,
  SshError,
  SshTimeout,
} from './errors';
import { keyTypeOf, sameFingerprint, sha256Fingerprint } from './fingerprint';
import { shellQuote } from './shell';

export interface SshAuth {
  /** PEM/OpenSSH private key text. */
  privateKey?: string | Buffer;
  passphrase?: string;
  password?: string;
}

export interface SshEndpoint {
  host: string;
  port?: number;
  user: string;
  /** The accepted host key (`SHA256:…`). Absent: first contact, the connection stops with HostKeyUnknown. */
  hostKeyFingerprint?: string;
  /** Credentials for this endpoint; a jump host without its own uses the target's. */
  auth?: SshAuth;
}

export interface SshTarget extends SshEndpoint {
  auth: SshAuth;
  /** Reach the target through this host (`ssh -J`): a TCP channel opened over an SSH connection to it. */
  jump?: SshEndpoint;
  /** Run privileged commands through `sudo -n` (for a non-root user). */
  sudo?: boolean;
}

export interface ConnectOptions {
  /** TCP connect plus SSH handshake and authentication. Default 15 s. */
  timeoutMs?: number;
  /** SSH keepalives so a dead peer is noticed. Default 5 s; 0 disables. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

export interface ExecOptions {
  /** Run through `sudo -n` (default: the target's `sudo` setting when the user is not root). */
  sudo?: boolean;
  stdin?: string | Buffer;
  /** Kill the command and fail with Timeout after this long. Default: none. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** null when the command died of a signal. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** `user@host:port`, how errors name a target. */
export function describeEndpoint(e: Pick<SshEndpoint, 'host' | 'port' | 'user'>): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.user}@${host}:${e.port ?? 22}`;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function socketErrorReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is sshd running and listening on that port?)';
    case 'EHOSTUNREACH':
      return 'no route to host';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
      return 'connection reset by the host';
    default:
      return err.message;
  }
}

function openTcp(host: string, port: number, target: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new SshTimeout(target, 'TCP connect', timeoutMs));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new HostUnreachable(target, socketErrorReason(err), { cause: err }));
    });
  });
}

interface HandshakeResult {
  client: Client;
  fingerprint: string;
  keyType: string;
}

/** The SSH handshake over an open stream, with host key verification and authentication. */
function handshake(
  sock: Duplex,
  endpoint: SshEndpoint,
  auth: SshAuth,
  options: ConnectOptions,
  deadlineMs: number,
): Promise<HandshakeResult> {
  const target = describeEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: { fingerprint: string; keyType: string } | undefined;
    let refusal: SshError | undefined;
    const methods: string[] = [];
    let settled = false;
    const fail = (err: SshError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners('ready');
      client.on('error', () => undefined);
      client.end();
      sock.destroy();
      reject(err);
    };
    const remaining = Math.max(1, deadlineMs - Date.now());
    const timer = setTimeout(() => fail(new SshTimeout(target, 'SSH handshake', remaining)), remaining);

    const config: ConnectConfig = {
      sock: sock as unknown as ConnectConfig['sock'],
      username: endpoint.user,
      readyTimeout: remaining + 1000,
      keepaliveInterval: options.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      hostVerifier: (key: Buffer) => {
        const fingerprint = sha256Fingerprint(key);
        const keyType = keyTypeOf(key);
        presented = { fingerprint, keyType };
        if (!endpoint.hostKeyFingerprint) {
          refusal = new HostKeyUnknown(target, fingerprint, keyType);
          return false;
        }
        if (!sameFingerprint(endpoint.hostKeyFingerprint, fingerprint)) {
          refusal = new HostKeyMismatch(target, endpoint.hostKeyFingerprint, fingerprint, keyType);
          return false;
        }
        return true;
      },
      // Offer the key first, then the password: the same order as OpenSSH.
      authHandler: (methodsLeft, _partial, next) => {
        const offer = (): void => {
          if (auth.privateKey && !methods.includes('publickey')) {
            methods.push('publickey');
            next({
              type: 'publickey',
              username: endpoint.user,
              key: auth.privateKey,
              ...(auth.passphrase ? { passphrase: auth.passphrase } : {}),
            } as never);
            return;
          }
          if (auth.password !== undefined && !methods.includes('password')) {
            methods.push('password');
            next({ type: 'password', username: endpoint.user, password: auth.password });
            return;
          }
          // Nothing left to offer: ssh2 reports 'client-authentication'.
          next(false as never);
        };
        void methodsLeft;
        offer();
      },
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners('error');
      resolve({ client, fingerprint: presented?.fingerprint ?? '', keyType: presented?.keyType ?? '' });
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (refusal) return fail(refusal);
      if (err.level === 'client-authentication') return fail(new AuthFailed(target, methods, { cause: err }));
      if (err.level === 'client-timeout') return fail(new SshTimeout(target, 'SSH handshake', remaining));
      if (err.level === 'client-socket') {
        return fail(
          new HostUnreachable(target, socketErrorReason(err as NodeJS.ErrnoException), { cause: err }),
        );
      }
      // A bad private key (unparsable, wrong passphrase) lands here too.
      fail(new SshError('SshError', `${target}: ${err.message}`, target, { cause: err }));
    });
    client.on('close', () =>
      fail(refusal ?? new Disconnected(target, 'the host closed the connection during the handshake')),
    );
    try {
      client.connect(config);
    } catch (err) {
      fail(
        new SshError('SshError', `${target}: ${err instanceof Error ? err.message : String(err)}`, target, {
          cause: err,
        }),
      );
    }
  });
}

function forwardOut(
  client: Client,
  host: string,
  port: number,
  target: string,
  jumpName: string,
): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err)
        reject(
          new HostUnreachable(
            target,
            `the jump host ${jumpName} could not open a connection to it: ${err.message}`,
          ),
        );
      else resolve(stream);
    });
  });
}

/** Opens an authenticated, host-key-verified connection. */
export async function connectSsh(target: SshTarget, options: ConnectOptions = {}): Promise<SshConnection> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const port = target.port ?? 22;
  const name = describeEndpoint(target);
  let jump: HandshakeResult | undefined;
  let sock: Duplex;
  if (target.jump) {
    const jumpPort = target.jump.port ?? 22;
    const jumpName = describeEndpoint(target.jump);
    try {
      const jumpSock = await openTcp(target.jump.host, jumpPort, jumpName, timeoutMs);
      jump = await handshake(jumpSock, target.jump, target.jump.auth ?? target.auth, options, deadline);
    } catch (err) {
      throw onJumpHop(err, jumpName);
    }
    try {
      sock = await forwardOut(jump.client, target.host, port, name, jumpName);
    } catch (err) {
      // The jump host is fine; the hop from it to the target failed (the message names both).
      jump.client.end();
      throw err;
    }
  } else {
    sock = await openTcp(target.host, port, name, timeoutMs);
  }
  try {
    const result = await handshake(sock, target, target.auth, options, deadline);
    return new SshConnection(target, result.client, result.fingerprint, result.keyType, sock, jump?.client);
  } catch (err) {
    jump?.client.end();
    throw err;
  }
}

/**
 * What the host presents as its key, without authenticating (the first-contact prompt). Connects with
 * no accepted fingerprint and returns the one the host offered.
 */
export async function probeHostKey(
  endpoint: Omit<SshEndpoint, 'hostKeyFingerprint' | 'auth'> & { jump?: SshEndpoint; auth?: SshAuth },
  options: ConnectOptions = {},
): Promise<{ fingerprint: string; keyType: string }> {
  try {
    const conn = await connectSsh(
      { ...endpoint, auth: endpoint.auth ?? {}, hostKeyFingerprint: undefined },
      options,
    );
    conn.close();
    throw new Error('unreachable: a connection without an accepted host key was established');
  } catch (err) {
    if (err instanceof HostKeyUnknown) return { fingerprint: err.fingerprint, keyType: err.keyType };
    throw err;
  }
}

export class SshConnection {
  /** sha256 fingerprint the host presented (equal to the accepted one). */
  readonly hostKeyFingerprint: string;
  readonly hostKeyType: string;
  readonly name: string;
  private closed = false;
  private closeReason: string | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();
  private sftpSession: Promise<SFTPWrapper> | undefined;

  constructor(
    readonly target: SshTarget,
    private readonly client: Client,
    fingerprint: string,
    keyType: string,
    /** The transport the SSH session runs over (a TCP socket, or a channel of the jump host). */
    readonly socket: Duplex,
    private readonly jumpClient?: Client,
  ) {
    this.hostKeyFingerprint = fingerprint;
    this.hostKeyType = keyType;
    this.name = describeEndpoint(target);
    const onClose = (reason: string) => {
      if (this.closed) return;
      this.closed = true;
      this.closeReason = reason;
      this.jumpClient?.end();
      for (const l of this.closeListeners) l(reason);
    };
    client.on('error', (err) => onClose(err.message));
    client.on('close', () => onClose('connection closed'));
    jumpClient?.on('close', () => client.end());
    jumpClient?.on('error', () => client.end());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** The local TCP port of the connection (to the target, or to the jump host). */
  get localPort(): number | undefined {
    const s = this.socket as Partial<Socket>;
    return typeof s.localPort === 'number' ? s.localPort : undefined;
  }

  /** Called once when the connection ends, with why. Returns a function that unsubscribes. */
  onClose(listener: (reason: string) => void): () => void {
    if (this.closed) {
      listener(this.closeReason ?? 'closed');
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** The underlying ssh2 client (forwardIn and its 'tcp connection' events). */
  get raw(): Client {
    return this.client;
  }

  private get usesSudo(): boolean {
    return this.target.sudo === true && this.target.user !== 'root';
  }

  /** Wraps a command for sudo when asked (or when the target runs privileged commands through sudo). */
  commandLine(command: string, sudo?: boolean): string {
    const viaSudo = sudo ?? this.usesSudo;
    return viaSudo ? `sudo -n -- sh -c ${shellQuote(command)}` : command;
  }

  /** Runs a shell command; resolves with its exit code and output whatever the code. */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new Disconnected(this.name, this.closeReason));
    const line = this.commandLine(command, options.sudo);
    return new Promise((resolve, reject) => {
      this.client.exec(line, (err, stream) => {
        if (err) {
          reject(
            new SshError('SshError', `${this.name}: cannot start \`${command}\`: ${err.message}`, this.name),
          );
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        let signal: string | undefined;
        let timer: NodeJS.Timeout | undefined;
        const unsubscribe = this.onClose((reason) => {
          clearTimeout(timer);
          reject(new Disconnected(this.name, `${reason} while running \`${command}\``));
        });
        if (options.timeoutMs) {
          timer = setTimeout(() => {
            unsubscribe();
            stream.signal('KILL');
            stream.close();
            reject(new SshTimeout(this.name, `\`${command}\``, options.timeoutMs!));
          }, options.timeoutMs);
        }
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s ?? undefined;
        });
        stream.on('close', () => {
          clearTimeout(timer);
          unsubscribe();
          resolve({
            code,
            ...(signal ? { signal } : {}),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
          });
        });
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
      });
    });
  }

  /** Runs a command and fails with CommandFailed unless it exits 0; resolves with stdout. */
  async run(command: string, options: ExecOptions = {}): Promise<string> {
    const r = await this.exec(command, options);
    if (r.code !== 0) throw new CommandFailed(this.name, command, r.code, r.stderr, r.signal);
    return r.stdout;
  }

  /** The connection's SFTP session (opened once). */
  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) => {
        if (err) {
          this.sftpSession = undefined;
          reject(new SshError('UploadFailed', `${this.name}: cannot open SFTP: ${err.message}`, this.name));
        } else {
          sftp.on('close', () => (this.sftpSession = undefined));
          resolve(sftp);
        }
      });
    });
    return this.sftpSession;
  }

  /** A unique suffix for temporary remote names. */
  static tempSuffix(): string {
    return `.tmp-${randomBytes(6).toString('hex')}`;
  }

  close(): void {
    if (this.closed) return;
    this.client.end();
    this.jumpClient?.end();
  }

  /** Ends the connection abruptly (tests and shutdown paths that must not wait). */
  destroy(): void {
    this.socket.destroy();
    this.client.destroy();
    this.jumpClient?.destroy();
  }
}
