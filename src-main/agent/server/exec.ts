// `kubectl exec` on the agent's side: Kubernetes' remote command protocol over a WebSocket
// (v5.channel.k8s.io, v4.channel.k8s.io). Every binary message starts with a channel byte:
// 0 stdin, 1 stdout, 2 stderr, 3 error (one metav1.Status when the command ends), 4 resize
// ({"Width":…,"Height":…}); v5 adds 255 + channel = "this channel is closed" (stdin EOF).
import type { WebSocket } from 'ws';
import { EXEC_SUBPROTOCOLS, ExecChannel } from '../../shared/agent-api';
import type { ExecSession } from '../runtime/types';

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function flag(values: string[]): boolean {
  const v = values.at(-1);
  return v === 'true' || v === '1' || v === '';
}

/** The exec query, as kubectl sends it to pods/exec (and the API server passes it on). */
export function parseExecQuery(query: URLSearchParams): ExecRequest {
  return {
    command: query.getAll('command'),
    stdin: flag(query.getAll('stdin')),
    stdout: query.has('stdout') ? flag(query.getAll('stdout')) : true,
    stderr: query.has('stderr') ? flag(query.getAll('stderr')) : true,
    tty: flag(query.getAll('tty')),
  };
}

/** The subprotocol to answer with: the newest of ours the client offers. */
export function pickSubprotocol(offered: Iterable<string>): string | undefined {
  const set = new Set(offered);
  return EXEC_SUBPROTOCOLS.find((p) => set.has(p));
}

/** The error channel's message: Success, or the exit code the way the kubelet reports it. */
export function exitStatus(exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function failureStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

function frame(channel: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/**
 * Wires an exec session to an accepted WebSocket until the command ends (then sends its status and
 * closes) or the client goes away (then the session is closed).
 */
export function serveExec(ws: WebSocket, session: ExecSession, request: ExecRequest): Promise<void> {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  session.stdout.on('data', (chunk: Buffer) => {
    if (request.stdout) send(ExecChannel.stdout, chunk);
  });
  session.stderr.on('data', (chunk: Buffer) => {
    if (request.stderr) send(ExecChannel.stderr, chunk);
  });
  // Errors on the session's streams end the exec below (exitCode rejects or the socket closes).
  session.stdout.on('error', () => undefined);
  session.stderr.on('error', () => undefined);
  session.stdin.on('error', () => undefined);

  let stdinOpen = request.stdin;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (!isBinary || buf.length === 0) return;
    const channel = buf[0];
    const payload = buf.subarray(1);
    if (channel === ExecChannel.stdin) {
      if (stdinOpen && payload.length) session.stdin.write(payload);
    } else if (channel === ExecChannel.resize) {
      try {
        const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        if (size.Width && size.Height) void session.resize(size.Width, size.Height).catch(() => undefined);
      } catch {
        // a malformed resize is ignored, as the kubelet does
      }
    } else if (v5 && channel === ExecChannel.close && payload[0] === ExecChannel.stdin) {
      if (stdinOpen) {
        stdinOpen = false;
        session.stdin.end();
      }
    }
  });

  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      resolve();
    };
    ws.on('close', () => {
      if (!finished) session.close();
      finish();
    });
    ws.on('error', () => {
      session.close();
      finish();
    });
    session.exitCode().then(
      (code) => {
        send(ExecChannel.error, JSON.stringify(exitStatus(code)));
        ws.close(1000);
        finish();
      },
      (err: unknown) => {
        send(
          ExecChannel.error,
          JSON.stringify(failureStatus(err instanceof Error ? err.message : String(err))),
        );
        ws.close(1000);
        finish();
      },
    );
  });
}
