import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ExecSession } from '../runtime/types';
import { parseLogQuery, parsePodPath } from './agent-server';
import { exitStatus, parseExecQuery, pickSubprotocol, serveExec } from './exec';

describe('log query', () => {
  const now = Date.parse('2025-01-01T00:01:00Z');
  it('maps kubectl logs options onto the runtime’s', () => {
    const q = new URLSearchParams(
      'follow=true&tailLines=10&timestamps=true&previous=true&limitBytes=500&sinceSeconds=30',
    );
    expect(parseLogQuery(q, now)).toEqual({
      follow: true,
      tailLines: 10,
      timestamps: true,
      previous: true,
      limitBytes: 500,
      sinceUnixSeconds: Date.parse('2025-01-01T00:00:30Z') / 1000,
    });
    expect(parseLogQuery(new URLSearchParams('sinceTime=2025-01-01T00:00:05Z'), now).sinceUnixSeconds).toBe(
      Date.parse('2025-01-01T00:00:05Z') / 1000,
    );
    expect(parseLogQuery(new URLSearchParams(''), now)).toEqual({
      follow: false,
      timestamps: false,
      previous: false,
    });
    expect(() => parseLogQuery(new URLSearchParams('tailLines=-1'), now)).toThrow(/tailLines/);
    expect(() => parseLogQuery(new URLSearchParams('sinceTime=yesterday'), now)).toThrow(/sinceTime/);
  });

  it('parses pod paths', () => {
    expect(parsePodPath('/containerLogs/ns/pod%201/c', 'containerLogs')).toEqual({
      namespace: 'ns',
      pod: 'pod 1',
      container: 'c',
    });
    expect(parsePodPath('/exec/ns/pod', 'exec')).toEqual({ namespace: 'ns', pod: 'pod' });
    expect(parsePodPath('/exec/ns', 'exec')).toBeUndefined();
    expect(parsePodPath('/exec/a/b/c/d', 'exec')).toBeUndefined();
  });
});

describe('exec protocol', () => {
  it('parses the query and picks the newest subprotocol offered', () => {
    const q = new URLSearchParams('command=sh&command=-c&command=echo+hi&stdin=true&tty=1');
    expect(parseExecQuery(q)).toEqual({
      command: ['sh', '-c', 'echo hi'],
      stdin: true,
      stdout: true,
      stderr: true,
      tty: true,
    });
    expect(parseExecQuery(new URLSearchParams('command=ls&stderr=false')).stderr).toBe(false);
    expect(pickSubprotocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'])).toBe('v5.channel.k8s.io');
    expect(pickSubprotocol(['channel.k8s.io'])).toBeUndefined();
  });

  it('reports the exit code like the kubelet', () => {
    expect(exitStatus(0)).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(7)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('relays channels both ways, closes stdin on a v5 close frame, then sends the status', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let received = '';
    stdin.on('data', (d: Buffer) => (received += d.toString()));
    let resized: number[] = [];
    let finishExit!: (code: number) => void;
    const exit = new Promise<number>((r) => (finishExit = r));
    const session: ExecSession = {
      stdin,
      stdout,
      stderr,
      resize: async (w, h) => void (resized = [w, h]),
      exitCode: () => exit,
      close: () => undefined,
    };
    const sent: Buffer[] = [];
    const handlers: Record<string, ((...a: unknown[]) => void)[]> = {};
    let closedWith: number | undefined;
    const ws = {
      protocol: 'v5.channel.k8s.io',
      OPEN: 1,
      readyState: 1,
      send: (b: Buffer) => void sent.push(b),
      close: (code: number) => void (closedWith = code),
      on: (event: string, fn: (...a: unknown[]) => void) => void (handlers[event] ??= []).push(fn),
    };
    const done = serveExec(ws as never, session, {
      command: ['cat'],
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
    const message = (bytes: Buffer) => handlers.message?.forEach((fn) => fn(bytes, true));
    message(Buffer.concat([Buffer.from([0]), Buffer.from('hello')]));
    message(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":40}')]));
    let stdinEnded = false;
    stdin.on('end', () => (stdinEnded = true));
    message(Buffer.from([255, 0]));
    stdout.write('out');
    stderr.write('err');
    await new Promise((r) => setImmediate(r));
    finishExit(3);
    await done;
    expect(received).toBe('hello');
    expect(stdinEnded).toBe(true);
    expect(resized).toEqual([120, 40]);
    expect(sent.map((b) => [b[0], b.subarray(1).toString()])).toEqual([
      [1, 'out'],
      [2, 'err'],
      [3, JSON.stringify(exitStatus(3))],
    ]);
    expect(closedWith).toBe(1000);
  });
});
